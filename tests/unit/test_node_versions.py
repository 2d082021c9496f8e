"""Which installed Node.js runs a ``nodejsNN.x`` runtime."""

from __future__ import annotations

from lambdaport.runtime.node_versions import NodeInstall, choose, runtime_major

INSTALLS = [
    NodeInstall("/n/22/bin/node", (22, 11, 0)),
    NodeInstall("/n/20b/bin/node", (20, 18, 1)),
    NodeInstall("/n/20a/bin/node", (20, 9, 0)),
    NodeInstall("/n/18/bin/node", (18, 20, 4)),
]


def test_runtime_majors() -> None:
    assert [runtime_major(r) for r in ("nodejs18.x", "nodejs24.x", "python3.12", "nodejs")] == [
        18,
        24,
        None,
        None,
    ]


def test_the_declared_major_when_installed_the_newest_of_it() -> None:
    chosen = choose("nodejs20.x", INSTALLS)
    assert chosen is not None
    assert chosen.install.executable == "/n/20b/bin/node" and chosen.notice == ""


def test_else_the_nearest_major_with_a_notice() -> None:
    chosen = choose("nodejs24.x", INSTALLS)
    assert chosen is not None and chosen.install.major == 22
    assert chosen.notice == (
        "lambdaport: Node.js 24 (nodejs24.x) is not installed here; this function runs on "
        "Node.js v22.11.0 (/n/22/bin/node)\n"
    )
    # As near below as above: the higher one.
    tie = choose("nodejs21.x", [INSTALLS[0], INSTALLS[1]])
    assert tie is not None and tie.install.major == 22


def test_no_node_installed() -> None:
    assert choose("nodejs20.x", []) is None
