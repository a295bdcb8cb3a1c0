/* checkpoint_is_sound examines the file in a child process: HDF5 1.10
   crashes on some damaged files and loops on others, and the caller, a run
   about to resume, must survive to try an older checkpoint. The child runs
   the loader's own checks (checkpoint_open with every dataset), so a file
   it passes loads. Its fatal message, sent up a pipe in place of its
   stderr, becomes the reason. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint_file.h"
#include "disco/checkpoint.h"
#include "disco/error.h"
#include "h5_file.h"

/* Without running the parent's exit handlers (HDF5's, MPI's) or its abort
   hook, which may be MPI_Abort and would end the whole job. */
static DISCO_NORETURN void leave_child(int code) { _exit(code); }

/* Damaged metadata can send HDF5 round in circles, and a hung file system
   never answers: the child gets a generous time, 20 s and 1 s per 10 MB. */
static unsigned time_limit_s(const char *path) {
    struct stat info;
    return 20 + (stat(path, &info) == 0 ? (unsigned)(info.st_size / 10000000) : 0);
}

static DISCO_NORETURN void examine(const char *path, int report, unsigned time_limit) {
    disco_set_abort_hook(leave_child);
    if (dup2(report, fileno(stderr)) < 0) _exit(EXIT_FAILURE);
    sigset_t alarm_only;
    sigemptyset(&alarm_only);
    sigaddset(&alarm_only, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &alarm_only, NULL);
    signal(SIGALRM, SIG_DFL);
    alarm(time_limit);
    hid_t file = checkpoint_open(path, true);
    H5_CHECK(H5Fclose(file), path, "close the file");
    _exit(EXIT_SUCCESS);
}

/* The start of what the child wrote; the rest is drained so that it never
   blocks on a full pipe. */
static void read_report(int fd, char *text, size_t size) {
    size_t used = 0;
    char discard[512];
    for (;;) {
        bool room = used + 1 < size;
        ssize_t n = room ? read(fd, text + used, size - 1 - used) : read(fd, discard, sizeof discard);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (room) used += (size_t)n;
    }
    text[used] = '\0';
}

/* A fatal message is logged as "<time> error: <message> (<source>:<line>)";
   the reason is the message, less the file's own name, which the caller
   gives. False when the child wrote none. */
static bool reason_from_report(char *report, const char *path, char *reason, size_t size) {
    char *message = NULL;
    for (char *at = strstr(report, "error: "); at; at = strstr(at + 1, "error: ")) message = at + strlen("error: ");
    if (!message) return false;
    message[strcspn(message, "\n")] = '\0';
    char *source = strrchr(message, '(');
    if (source > message && source[-1] == ' ' && message[strlen(message) - 1] == ')') source[-1] = '\0';
    size_t path_length = strlen(path);
    if (message[0] == '\'' && strncmp(message + 1, path, path_length) == 0 &&
        strncmp(message + 1 + path_length, "': ", 3) == 0)
        message += path_length + 4;
    snprintf(reason, size, "%s", message);
    return true;
}

__attribute__((format(printf, 3, 4))) static bool say(char *reason, size_t size, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(reason, size, fmt, args);
    va_end(args);
    return false;
}

bool checkpoint_is_sound(const char *path, char *why, size_t why_size) {
    char reason[1024] = "";
    if (!why || why_size == 0) why = reason, why_size = sizeof reason;
    *why = '\0';
    int pipe_ends[2];
    if (pipe(pipe_ends) != 0) return say(why, why_size, "cannot create a pipe to examine it: %s", strerror(errno));
    /* The child's fatal path flushes stdout: output still buffered here
       would appear twice. */
    fflush(NULL);
    unsigned time_limit = time_limit_s(path);
    pid_t child = fork();
    if (child == 0) {
        close(pipe_ends[0]);
        examine(path, pipe_ends[1], time_limit);
    }
    close(pipe_ends[1]);
    if (child < 0) {
        close(pipe_ends[0]);
        return say(why, why_size, "cannot start a process to examine it: %s", strerror(errno));
    }
    char report[2048];
    read_report(pipe_ends[0], report, sizeof report);
    close(pipe_ends[0]);

    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) return say(why, why_size, "cannot wait for the process examining it: %s", strerror(errno));
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return say(why, why_size, "still reading it after %u s: a hung file system, or damage HDF5 loops on",
                   time_limit);
    if (WIFSIGNALED(status))
        return say(why, why_size, "killed by signal %d (%s) while reading it", WTERMSIG(status),
                   strsignal(WTERMSIG(status)));
    if (WEXITSTATUS(status) == EXIT_SUCCESS) return true;
    if (!reason_from_report(report, path, why, why_size))
        say(why, why_size, "the process examining it exited with status %d", WEXITSTATUS(status));
    return false;
}
