"""The province registry: units, their validity and their system endpoints."""

from province.registry import CredentialRef, Endpoint, Province, RegistryError, Unit, load_registry

__all__ = ["CredentialRef", "Endpoint", "Province", "RegistryError", "Unit", "load_registry"]
