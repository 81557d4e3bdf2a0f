"""Password columns: stored password hashes told apart from plaintext passwords.

A column (or JSON key) whose name says password holds either hashes, which passlib's
format identification recognises (bcrypt, argon2, scrypt, PBKDF2, SHA-crypt, Django and LDAP
forms, bare hex digests), or anything else, which is a plaintext password (SEC-009). The hash
scheme goes into the span's `why`, so the check can also tell weak schemes (unsalted digests,
MD5-crypt) from strong ones. Format identification only: no hash is verified or cracked.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from passlib.context import CryptContext

# column-name tokens that say password, in the languages of detection.languages
PASSWORD_WORDS = frozenset(
    "password passwords passwd pwd passphrase pass_word userpassword passwort kennwort mot_de_passe motdepasse mdp "
    "contraseña contrasena senha parola wachtwoord hasło haslo".split()
)
# tokens that make a password column about the password rather than the password itself
NOT_PASSWORD = frozenset(
    "changed change reset expires expiry expired expiration date time at on updated last hint policy length "
    "count attempts failed required strength set salt iterations algorithm scheme version flag enabled".split()
)
# schemes whose hashes offer little protection: unsalted digests and obsolete crypt(3) forms
WEAK_SCHEMES = frozenset(
    {"hex_md5", "hex_sha1", "hex_sha256", "hex_sha512", "md5_crypt", "des_crypt", "bsdi_crypt", "ldap_md5", "ldap_sha1"}
)
STRONG_SCHEMES = (
    "bcrypt",
    "bcrypt_sha256",
    "argon2",
    "scrypt",
    "pbkdf2_sha256",
    "pbkdf2_sha512",
    "pbkdf2_sha1",
    "sha512_crypt",
    "sha256_crypt",
    "sha1_crypt",
    "django_pbkdf2_sha256",
    "django_pbkdf2_sha1",
    "django_argon2",
    "django_bcrypt",
    "django_bcrypt_sha256",
    "ldap_salted_sha1",
    "ldap_salted_sha256",
    "ldap_salted_sha512",
    "ldap_pbkdf2_sha256",
    "ldap_bcrypt",
    "ldap_sha512_crypt",
    "grub_pbkdf2_sha512",
    "phpass",
)
SCORE = 0.9


@cache
def _context() -> CryptContext:
    # weak schemes last: a bare 64-hex digest is tried against the structured forms first
    return CryptContext(schemes=[*STRONG_SCHEMES, *sorted(WEAK_SCHEMES)])


def password_column(tokens: frozenset[str]) -> bool:
    """The column-name tokens (see context.column_tokens) name a password itself."""
    return bool(tokens & PASSWORD_WORDS) and not tokens & NOT_PASSWORD


def hash_scheme(value: str) -> str | None:
    """passlib's name for the hash format of `value` (bcrypt, argon2, hex_md5 ...), or None."""
    value = value.strip()
    if not value or len(value) > 1024:
        return None
    try:
        return _context().identify(value)  # type: ignore[no-any-return]
    except (ValueError, TypeError):
        return None


def classify(text: str, name: str, cells: list[tuple[int, int]]) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, entity, why) for each cell of a password column named `name`:
    PASSWORD_HASH with its scheme, or PASSWORD for a value that is no known hash format."""
    for s, e in cells:
        value = text[s:e]
        if not value.strip():
            continue
        scheme = hash_scheme(value)
        if scheme:
            yield s, e, "PASSWORD_HASH", f"column name '{name}'; {scheme} hash"
        else:
            yield s, e, "PASSWORD", f"column name '{name}'; not a password hash format"
