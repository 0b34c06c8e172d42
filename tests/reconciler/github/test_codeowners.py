"""CODEOWNERS as GitHub reads it: every example of GitHub's "About code owners" page
(github/docs content/repositories/managing-your-repositorys-settings-and-features/
customizing-your-repository/about-code-owners.md), each as a row: pattern, path, matched."""

from __future__ import annotations

import pytest

from reconciler.github.codeowners import Entry, parse, render


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        # "*": default owners for everything in the repo.
        ("*", "README.md", True),
        ("*", "reconciler/cli/main.py", True),
        # "*.js": any .js file, at any depth.
        ("*.js", "app.js", True),
        ("*.js", "src/deep/app.js", True),
        ("*.js", "app.jsx", False),
        # "*.go" with an email owner, same rule.
        ("*.go", "cmd/main.go", True),
        # "*.txt" in a directory: "/build/logs/" anchored, with subdirectories.
        ("/build/logs/", "build/logs/today.log", True),
        ("/build/logs/", "build/logs/2026/today.log", True),
        ("/build/logs/", "src/build/logs/today.log", False),
        ("/build/logs/", "build/logs", False),  # a directory rule never matches a file of that name
        # "docs/*": files in docs/ but "not further nested files".
        ("docs/*", "docs/getting-started.md", True),
        ("docs/*", "docs/build-app/troubleshooting.md", False),
        ("docs/*", "src/docs/getting-started.md", False),  # a middle `/` anchors at the root
        # "apps/": an apps directory "anywhere in your repository".
        ("apps/", "apps/main.py", True),
        ("apps/", "services/apps/main.py", True),
        ("apps/", "apps.py", False),
        # "/docs/": only the root docs directory and below.
        ("/docs/", "docs/a/b.md", True),
        ("/docs/", "src/docs/a.md", False),
        # "/scripts/": root scripts directory.
        ("/scripts/", "scripts/bootstrap", True),
        # "**/logs": any logs directory.
        ("**/logs", "logs/x.txt", True),
        ("**/logs", "deeply/nested/logs/x.txt", True),
        ("**/logs", "deeply/nested/logsx/x.txt", False),
        # "/apps/github": a literal last segment is a file or a directory and what it holds.
        ("/apps/github", "apps/github", True),
        ("/apps/github", "apps/github/x.py", True),
        ("/apps/github", "apps/githubx", False),
        # `?` is one character, never a `/`; case matters.
        ("/tenants/a?me.yaml", "tenants/acme.yaml", True),
        ("/tenants/a?me.yaml", "tenants/a/me.yaml", False),
        ("/tenants/acme.yaml", "tenants/ACME.yaml", False),
        # Escaped wildcards are literal (what `render` writes).
        ("/odd/a\\*b", "odd/a*b", True),
        ("/odd/a\\*b", "odd/axxb", False),
        # `**` in the middle spans zero or more directories.
        ("/a/**/z.txt", "a/z.txt", True),
        ("/a/**/z.txt", "a/b/c/z.txt", True),
        ("/a/**", "a/b/c", True),
    ],
)
def test_a_pattern_matches_as_github_documents(pattern: str, path: str, matched: bool) -> None:
    owners = parse(f"{pattern} @octocat\n")
    assert owners.skipped == ()
    assert (owners.owners_of(path) == ("@octocat",)) is matched


def test_the_last_matching_line_wins_and_a_line_without_owners_unowns() -> None:
    # GitHub's example: "@octocat owns any file in the /apps directory ... except for the
    # /apps/github subdirectory, as its owners are left empty."
    owners = parse(
        "# comment\n"
        "*       @global-owner1 @global-owner2\n"
        "*.js    @js-owner #This is an inline comment.\n"
        "/apps/ @octocat\n"
        "/apps/github\n"
    )
    assert owners.owners_of("README.md") == ("@global-owner1", "@global-owner2")
    assert owners.owners_of("lib/app.js") == ("@js-owner",)
    assert owners.owners_of("apps/app.js") == ("@octocat",)
    assert owners.owners_of("apps/github/x.js") == ()
    assert owners.rule_for("apps/github/x.js").line == 5  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("!/secret.txt @octocat", "negation"),
        ("/file[ab].txt @octocat", "ranges"),
        ("/a/***/b @octocat", "`***`"),
        ("/a.txt octocat", "not an owner: octocat"),
        ("/a.txt @", "not an owner: @"),
        ("\\#notes.txt @octocat", "`\\#` escaping"),
    ],
)
def test_an_invalid_line_is_skipped_as_github_skips_it(line: str, reason: str) -> None:
    owners = parse(f"* @default\n{line}\n")
    assert [rule.pattern for rule in owners.rules] == ["*"]
    [skipped] = owners.skipped
    assert skipped.line == 2 and reason in skipped.reason
    assert owners.owners_of(line.split()[0].lstrip("!/")) == ("@default",)


def test_owners_are_users_teams_or_emails() -> None:
    owners = parse("* @user @acme-ml/tenant-platform docs@example.com\n")
    assert owners.owners_of("x") == ("@user", "@acme-ml/tenant-platform", "docs@example.com")


def test_a_rendered_file_gives_each_path_its_owners() -> None:
    text = render(
        ["@acme/platform"],
        [
            Entry("tenants/acme.yaml", ("@alice", "@acme/platform"), "tenant acme"),
            Entry("tenants/odd name*.yaml", ("@bob", "@acme/platform")),
        ],
    )
    owners = parse(text)
    assert owners.skipped == ()
    assert owners.owners_of("tenants/acme.yaml") == ("@alice", "@acme/platform")
    assert owners.owners_of("tenants/odd name*.yaml") == ("@bob", "@acme/platform")
    assert owners.owners_of("tenants/odd namexx.yaml") == ("@acme/platform",)
    assert owners.owners_of("reconciler/cli/main.py") == ("@acme/platform",)
    assert owners.owners_of(".github/CODEOWNERS") == ("@acme/platform",)
