"""The app's UI layer: one module per tab. It turns widget values into genai calls and
results into pictures; no math lives here. app.py assembles the tabs."""
