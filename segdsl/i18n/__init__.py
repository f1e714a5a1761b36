"""Messages in simplified Chinese or English (catalog.py; the catalogs zh.po and en.po)."""
from .catalog import LANGUAGES, current, from_locale, set_language, translate

__all__ = ["LANGUAGES", "current", "from_locale", "set_language", "translate"]
