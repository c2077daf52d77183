"""A new session builds block configs only when read (ui/sessions.py), with Gradio's values."""

import gradio.state_holder

from ui.sessions import LazySessionState

GradioSessionState = LazySessionState.__bases__[0]


def test_lazy_configs_equal_gradios_and_are_built_on_demand(app_url):
    import app
    assert gradio.state_holder.SessionState is LazySessionState          # app.py installed it
    eager, lazy = GradioSessionState(app.demo), LazySessionState(app.demo)
    assert dict.__len__(lazy.config_values) == 0                        # nothing built up front
    some = next(iter(eager.config_values))
    assert lazy.config_values[some] == eager.config_values[some]
    assert dict.__len__(lazy.config_values) == 1
    assert list(lazy.components) == list(eager.components)              # every config, same values
    assert lazy.STATE_TTL_WHEN_CLOSED == eager.STATE_TTL_WHEN_CLOSED
    assert lazy.state_data == {} and not lazy.is_closed
