# Runs `npm ci` in WEB_DIR when its package-lock.json differs from the one last installed there,
# then touches STAMP. Several build trees share one node_modules, so the check uses a hash kept
# inside node_modules and a lock serialises concurrent builds.
#
#   cmake -DNPM=npm -DWEB_DIR=dir -DSTAMP=file -P npm-ci.cmake

file(LOCK ${WEB_DIR}/.npm-ci.lock GUARD PROCESS TIMEOUT 600)

file(SHA256 ${WEB_DIR}/package-lock.json wanted)
set(installed_hash_file ${WEB_DIR}/node_modules/.cloud-console-lock-sha256)
set(installed "")
if(EXISTS ${installed_hash_file})
    file(READ ${installed_hash_file} installed)
    string(STRIP "${installed}" installed)
endif()

if(NOT installed STREQUAL wanted)
    message(STATUS "npm ci in ${WEB_DIR}")
    execute_process(
        COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
        WORKING_DIRECTORY ${WEB_DIR}
        RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "npm ci failed in ${WEB_DIR} (exit ${result})")
    endif()
    file(WRITE ${installed_hash_file} "${wanted}\n")
endif()

file(TOUCH ${STAMP})
