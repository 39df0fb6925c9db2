"""Who published an article: the outlet name for a URL's host.

Readers trust "Reuters" more than "www.reuters.com", and the source filter matches names users
type, so well-known hosts map to the outlet's usual name; any other host is kept as it is
(without ``www.``), which is still a stable, filterable source.
"""

from __future__ import annotations

from urllib.parse import urlsplit

OUTLETS: dict[str, str] = {
    "abcnews.go.com": "ABC News",
    "afp.com": "AFP",
    "aljazeera.com": "Al Jazeera",
    "apnews.com": "AP",
    "ap.org": "AP",
    "bbc.co.uk": "BBC",
    "bbc.com": "BBC",
    "bloomberg.com": "Bloomberg",
    "cbsnews.com": "CBS News",
    "cnbc.com": "CNBC",
    "cnn.com": "CNN",
    "dw.com": "DW",
    "economist.com": "The Economist",
    "euronews.com": "Euronews",
    "foxnews.com": "Fox News",
    "france24.com": "France 24",
    "ft.com": "Financial Times",
    "theguardian.com": "The Guardian",
    "guardian.co.uk": "The Guardian",
    "independent.co.uk": "The Independent",
    "kremlin.ru": "President of Russia (en.kremlin.ru)",
    "latimes.com": "Los Angeles Times",
    "nbcnews.com": "NBC News",
    "npr.org": "NPR",
    "nytimes.com": "The New York Times",
    "politico.com": "Politico",
    "reuters.com": "Reuters",
    "rt.com": "RT",
    "tass.com": "TASS",
    "telegraph.co.uk": "The Telegraph",
    "usatoday.com": "USA Today",
    "washingtonpost.com": "The Washington Post",
    "whitehouse.gov": "The White House",
    "wikinews.org": "Wikinews",
    "wsj.com": "The Wall Street Journal",
}
_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def host_of(url: str | None) -> str | None:
    """The lower-case host of ``url`` without ``www.``-style prefixes, or None."""
    if not url:
        return None
    try:
        host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    for prefix in _PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix):]
    return host or None


def outlet_for_url(url: str | None) -> str | None:
    """``https://www.cnn.com/x`` → ``CNN``; an unknown host → the host; no host → None.

    Subdomains map like their parent (``edition.cnn.com`` → ``CNN``, ``en.kremlin.ru`` →
    the Kremlin's credit line) by trying ever shorter suffixes of the host.
    """
    host = host_of(url)
    if host is None:
        return None
    parts = host.split(".")
    for i in range(len(parts) - 1):
        name = OUTLETS.get(".".join(parts[i:]))
        if name:
            return name
    return host
