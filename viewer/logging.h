#pragma once

// One logging category per area of the viewer, so that QT_LOGGING_RULES can select them.

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcModel)
Q_DECLARE_LOGGING_CATEGORY(lcView)
Q_DECLARE_LOGGING_CATEGORY(lcConnection)
Q_DECLARE_LOGGING_CATEGORY(lcWindow)
