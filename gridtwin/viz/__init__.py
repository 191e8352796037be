"""The Streamlit viewer (to come)."""

__all__: list[str] = []
