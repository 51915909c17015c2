#pragma once

// The logging category of the HTTP front end and its parts ("cloudconsole.http"), defined once
// in responses.cpp.

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcHttp)
