#include "logging.h"

Q_LOGGING_CATEGORY(lcModel, "cloudconsole.viewer.model", QtWarningMsg)
Q_LOGGING_CATEGORY(lcView, "cloudconsole.viewer.view", QtWarningMsg)
Q_LOGGING_CATEGORY(lcConnection, "cloudconsole.viewer.connection", QtInfoMsg)
Q_LOGGING_CATEGORY(lcWindow, "cloudconsole.viewer.window", QtInfoMsg)
