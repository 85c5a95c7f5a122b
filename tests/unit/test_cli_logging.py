import logging

from serving.cli.main import setup_logging


def test_verbose_adds_only_the_projects_own_debug_lines():
    try:
        setup_logging(verbose=True)
        assert logging.getLogger("training.fit.train").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("features.build").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("matplotlib.font_manager").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("git.cmd").isEnabledFor(logging.DEBUG)
        setup_logging(verbose=False)
        assert not logging.getLogger("training.fit.train").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("training.fit.train").isEnabledFor(logging.INFO)
    finally:
        setup_logging(verbose=False)
