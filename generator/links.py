"""Where each page lives in the site, and links out to the repository's web editor.

Links between pages are relative, so the same site works at `/`, under a sub-path, and
opened from disk.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def deal_url(deal_id: str) -> str:
    return f"deals/{deal_id}.html"


def edit_url(repo_url: str | None, path: str) -> str | None:
    """The web editor's address for a file of the pipeline, on GitHub or GitLab.

    `repo_url` is the repository's address, optionally with `/tree/BRANCH[/FOLDER]` (as
    copied from the browser) when the branch is not `main` or the pipeline lives in a
    folder of the repository."""
    if not repo_url:
        return None
    m = re.match(r"^(https?://[^/]+/.+?)(?:/-)?/tree/([^/]+)/?(.*)$", repo_url.rstrip("/"))
    repo, branch, folder = (m.group(1), m.group(2), m.group(3)) if m else (repo_url, "main", "")
    repo = repo.rstrip("/")
    full = f"{folder.strip('/')}/{path}" if folder.strip("/") else path
    gitlab = "gitlab" in urlsplit(repo).netloc
    return f"{repo}/-/edit/{branch}/{full}" if gitlab else f"{repo}/edit/{branch}/{full}"


def stage_url(stage_id: str) -> str:
    return f"stages/{stage_id}.html"


def root_prefix(page: str) -> str:
    """From a page to the site's root: "" for index.html, "../" for deals/x.html."""
    return "../" * page.count("/")
