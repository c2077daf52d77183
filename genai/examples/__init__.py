"""Small runnable examples: `python -m genai.examples.first_gan`."""
