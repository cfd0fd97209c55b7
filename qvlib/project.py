"""The project qv works on: where its parameters, pack notebooks, data and outputs are.

A project is a folder holding ``parameters/region.yaml`` and ``parameters/trusts/``; it may also
hold ``notebooks/`` (its own copy of any pack notebook, used instead of the one qv ships) and
``outputs/`` (where packs go by default).  :func:`current_project` is the one place that decides
which project a process works on, first match wins:

1. the folder given explicitly: ``qv --project DIR``, :func:`find_project`'s argument;
2. the ``QV_PROJECT`` environment variable (the CLI sets it for the length of a command, so
   its workers and Jupyter kernels work on the same project);
3. the current folder, or the nearest folder above it, holding ``parameters/region.yaml``
   (so a notebook under ``notebooks/`` finds its project, as ``git`` finds its repository);
4. the defaults that ship with qv: inside the installed package, or, in a source checkout,
   the checkout itself.

Relative paths in a project's settings (``data_dir`` in ``region.yaml``) and relative paths given
to the library (``qv.load("data/sample")``) are taken from the project folder, so they mean the
same from a notebook's folder as from the project's.  Relative paths typed on the command line
are taken from the current folder, as every command-line tool does: the CLI makes them absolute
before they reach the library.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qvlib.errors import ConfigError

#: Environment variable naming the project folder.
ENV_PROJECT = "QV_PROJECT"
#: The file whose presence makes a folder a project.
MARKER = Path("parameters") / "region.yaml"
#: Where qvlib's own files are.
PACKAGE_DIR = Path(__file__).resolve().parent
#: Where the default parameters and pack notebooks are put in a built wheel (pyproject.toml).
PACKAGED_DEFAULTS = PACKAGE_DIR / "defaults"


@dataclass(frozen=True)
class Project:
    """One project folder and how it was found.

    Attributes
    ----------
    root : Path
        The absolute project folder (it holds ``parameters/region.yaml``).
    found_by : str
        How it was chosen, for messages: ``"--project"``, ``"QV_PROJECT"``, ``"current folder"``
        or ``"qv's defaults"``.

    Examples
    --------
    >>> project = Project(Path("/srv/quality"), "--project")
    >>> project.parameters_dir
    PosixPath('/srv/quality/parameters')
    >>> project.path("data/real")
    PosixPath('/srv/quality/data/real')
    >>> project.path("/mnt/secure/data")
    PosixPath('/mnt/secure/data')
    """

    root: Path
    found_by: str

    @property
    def packaged(self) -> bool:
        """Whether this is the set of defaults that ships with qv rather than a user's folder."""
        return self.found_by == _DEFAULTS

    @property
    def parameters_dir(self) -> Path:
        """``parameters/``: ``region.yaml`` and ``trusts/<ODS>.yaml``."""
        return self.root / "parameters"

    @property
    def outputs_dir(self) -> Path:
        """Default output folder: the project's ``outputs/``; with qv's defaults, the current
        folder's ``outputs/`` (never inside the installed package)."""
        return Path.cwd() / "outputs" if self.packaged else self.root / "outputs"

    def path(self, path: str | os.PathLike[str]) -> Path:
        """``path`` made absolute: a relative path is taken from the project folder."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else self.root / path

    def notebook(self, name: str) -> Path:
        """The pack notebook ``name``: the project's own copy under ``notebooks/`` if it has one,
        else the one that ships with qv."""
        own = self.root / "notebooks" / name
        return own if own.is_file() else defaults_root() / "notebooks" / name

    def display(self, path: str | os.PathLike[str]) -> str:
        """``path`` relative to the project folder when inside it (portable), else absolute.

        >>> Project(Path("/srv/quality"), "--project").display("/srv/quality/data/real")
        'data/real'
        """
        resolved = Path(path).resolve()
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            return str(resolved)

    @contextlib.contextmanager
    def exported(self) -> Iterator[Project]:
        """Within the block, processes started by this one (workers, kernels) work on this
        project too: ``QV_PROJECT`` names it, and is restored afterwards."""
        before = os.environ.get(ENV_PROJECT)
        os.environ[ENV_PROJECT] = str(self.root)
        try:
            yield self
        finally:
            if before is None:
                os.environ.pop(ENV_PROJECT, None)
            else:
                os.environ[ENV_PROJECT] = before


_DEFAULTS = "qv's defaults"


def defaults_root() -> Path:
    """The folder holding the parameters and pack notebooks that ship with qv.

    In a wheel they are package data under ``qvlib/defaults/``; in a source checkout (an editable
    install, or running from the repository) they are the checkout's own folders.

    Raises
    ------
    ConfigError
        If neither is there (a broken installation).

    Examples
    --------
    >>> sorted(p.name for p in (defaults_root() / "parameters").iterdir())
    ['question_bank.yaml', 'region.yaml', 'trusts']
    """
    for root in (PACKAGED_DEFAULTS, PACKAGE_DIR.parent):
        if (root / MARKER).is_file():
            return root
    raise ConfigError(
        f"qv's default parameters are missing (looked for {PACKAGED_DEFAULTS / MARKER}); "
        "reinstall qv, or give a project folder with --project DIR or QV_PROJECT"
    )


def find_project(explicit: str | os.PathLike[str] | None = None) -> Project:
    """Decide which project to work on (see the module's docstring for the order).

    Parameters
    ----------
    explicit
        A project folder given by the user (``--project``); relative to the current folder.

    Raises
    ------
    ConfigError
        If an explicitly named folder (``explicit`` or ``QV_PROJECT``) holds no
        ``parameters/region.yaml``.

    Examples
    --------
    >>> find_project("/nowhere")
    Traceback (most recent call last):
    ...
    qvlib.errors.ConfigError: --project /nowhere: no parameters/region.yaml there; ...
    """
    for value, found_by in ((explicit, "--project"), (os.environ.get(ENV_PROJECT), ENV_PROJECT)):
        if value:
            root = Path(value).expanduser().resolve()
            if not (root / MARKER).is_file():
                raise ConfigError(
                    f"{found_by} {value}: no {MARKER.as_posix()} there; a project folder holds "
                    "parameters/region.yaml and parameters/trusts/<ODS>.yaml"
                )
            return Project(root, found_by)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return Project(folder, "current folder")
    return Project(defaults_root().resolve(), _DEFAULTS)


def current_project() -> Project:
    """The project of this process, looked up on every call (:func:`find_project` without an
    explicit folder), so a change of folder or of ``QV_PROJECT`` is seen at once.

    >>> project = current_project()  # in the repository, the repository is the project
    >>> project.found_by, project.display(project.parameters_dir / "region.yaml")
    ('current folder', 'parameters/region.yaml')
    """
    return find_project()


__all__ = [
    "ENV_PROJECT",
    "Project",
    "current_project",
    "defaults_root",
    "find_project",
]
