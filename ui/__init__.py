"""Dashboard helpers: texts (i18n), formatting, navigation per role, and snapshot access for pages."""
