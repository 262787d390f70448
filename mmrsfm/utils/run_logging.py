"""Short console output for our entry points (``tools/train.py``, ``tools/test.py``,
``tools/quickstart.py``), with nothing lost from the log file.

* :func:`filter_upstream_warnings` silences the warnings upstream packages raise on every run
  that a user can do nothing about (each listed in :data:`UPSTREAM_WARNINGS` with its source).
  It only adds ``warnings`` filters, so call it in an entry point, never on import of a library
  module.
* :class:`SetupLogFilter` keeps mmengine's start-of-run report (``System environment`` with the
  build settings of torch, the ``Config:`` dump of the whole config, the hook order) off a
  console handler; the log file still gets it. :func:`keep_setup_logs_in_file` attaches it to
  a logger's console handlers; the runner mix-in :class:`QuietSetupLogsMixin` does so as soon
  as the runner's logger exists, before the report is written.

Example:
    >>> from mmengine.runner import Runner
    >>> from mmrsfm.utils.run_logging import QuietSetupLogsMixin, filter_upstream_warnings
    >>> filter_upstream_warnings()
    >>> runner_cls = type('Runner', (QuietSetupLogsMixin, Runner), {})
    >>> runner = runner_cls.from_cfg(cfg)  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import warnings
from typing import Dict, Tuple, Type

#: (message regex, category, module regex) -> why it is noise. ``message`` matches the start of
#: the warning text, ``module`` the module it is attributed to (``warnings.filterwarnings``; an
#: empty regex matches any module). Each was seen on our quick starts and is raised by upstream
#: code for upstream reasons: a user of our configs cannot act on it.
UPSTREAM_WARNINGS: Dict[Tuple[str, Type[Warning], str], str] = {
    (r'pkg_resources is deprecated as an API', UserWarning, r''):
    'setuptools >= 67 on `import pkg_resources`, done by mmengine (resolving `mmdet::` bases) '
    'and by the modules it imports',
    (r'``build_loss`` would be deprecated soon', UserWarning, r'mmseg\.'):
    "mmseg's own heads build their losses through its deprecated builder",
    (r'Default ``avg_non_ignore`` is False', UserWarning, r'mmseg\.'):
    "mmseg's CrossEntropyLoss on every build with the upstream default",
    (r'The draw is False', UserWarning, r'mmseg\.'):
    "mmseg's SegVisualizationHook with its default (drawing off)",
    (r'`reduce_zero_label` will be deprecated', UserWarning, r'mmseg\.'):
    "mmseg's LoadAnnotations; the upstream LoveDA config uses the option",
    (r'The `clip` function does nothing in `RotatedBoxes`', UserWarning, r'mmrotate\.'):
    "mmrotate's own RPN clips rotated boxes, once per epoch",
}

#: Starts of the log messages kept off the console: mmengine's start-of-run report (the
#: environment, one record opening with a dash line and holding torch's 2,000-character build
#: settings; the whole config; the hook order) and upstream notices a user of our configs cannot
#: act on. All of them stay in the log file.
FILE_ONLY_LOG_PREFIXES: Tuple[str, ...] = (
    '\n' + '-' * 60 + '\nSystem environment:',
    'Config:\n',
    'Hooks will be executed in the following order:',
    '"FileClient" will be deprecated in future.',
    '"HardDiskBackend" is the alias of "LocalBackend"',
    '`save_param_scheduler` is True but `self.param_schedulers` is None',
    'Failed to search registry with scope "mmrotate" in the "optim_wrapper" registry tree',
    'The prefix is not set in metric class IoUMetric',
)


def filter_upstream_warnings() -> None:
    """Ignore the known-noisy upstream warnings of :data:`UPSTREAM_WARNINGS` (idempotent).

    Every other warning still shows, ours and upstream's alike.
    """
    for message, category, module in UPSTREAM_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category, module=module)


class SetupLogFilter(logging.Filter):
    """Drop mmengine's start-of-run report (environment, config dump, hook order) and the
    messages of :data:`FILE_ONLY_LOG_PREFIXES` from one handler.

    Attach it to a console handler: the records still reach the logger's other handlers (the
    log file), since a handler filter only decides for its own handler.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` reaches the handler.

        Args:
            record (logging.LogRecord): The record to route.

        Returns:
            bool: ``False`` for a message starting with one of
            :data:`FILE_ONLY_LOG_PREFIXES`, ``True`` otherwise.
        """
        message = record.getMessage()
        return not message.startswith(FILE_ONLY_LOG_PREFIXES)


def _is_console_handler(handler: logging.Handler) -> bool:
    # FileHandler is a StreamHandler subclass: exclude it (and rotating file handlers).
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler)


def keep_setup_logs_in_file(logger: logging.Logger) -> None:
    """Attach a :class:`SetupLogFilter` to every console handler of ``logger`` (idempotent).

    Args:
        logger (logging.Logger): Usually the runner's ``MMLogger``.
    """
    for handler in logger.handlers:
        if _is_console_handler(handler) and not any(
                isinstance(f, SetupLogFilter) for f in handler.filters):
            handler.addFilter(SetupLogFilter())


class QuietSetupLogsMixin:
    """Runner mixin: the start-of-run report goes to the log file only.

    The console gets one line naming the log file instead. Put it before the runner class in
    the bases: ``type('Runner', (QuietSetupLogsMixin, Runner), {})``.
    """

    def build_logger(self, *args, **kwargs) -> logging.Logger:
        """Build the runner's logger as the base class does, then quiet its console handlers.

        Args:
            *args: Passed to the base class's ``build_logger``.
            **kwargs: Passed to the base class's ``build_logger``.

        Returns:
            logging.Logger: The runner's logger, with a :class:`SetupLogFilter` on each console
            handler.
        """
        logger = super().build_logger(*args, **kwargs)  # type: ignore[misc]
        keep_setup_logs_in_file(logger)
        if logger.log_file is not None:
            logger.info(f'environment and config of this run: {logger.log_file}')
        return logger
