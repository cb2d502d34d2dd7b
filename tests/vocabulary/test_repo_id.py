import subprocess

import pytest

from agent_analytics.vocabulary.repo_id import normalise_remote, repo_id


@pytest.mark.parametrize(
    "url",
    [
        "git@github.com:acme/api.git",
        "https://github.com/acme/api.git",
        "https://user:tok@github.com/acme/api",
        "ssh://git@github.com:22/acme/api.git",
        "GitHub.com:acme/api/",
    ],
)
def test_remote_forms_name_the_same_repo(url):
    assert normalise_remote(url) == "github.com/acme/api"


def test_repo_without_origin_is_named_by_folder(tmp_path):
    repo = tmp_path / "widgets"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert repo_id(repo) == "widgets"
    subprocess.run(
        ["git", "-C", str(repo), "remote", "add", "origin", "git@gitlab.example:team/widgets.git"], check=True
    )
    assert repo_id(repo) == "gitlab.example/team/widgets"
