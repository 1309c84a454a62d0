/*  nimbus_sandbox - the walls around a package's validation process */
#include "nimbus_sandbox.h"
#include "sq_child.h"
#include "sq_config.h"
#include "sq_coverage.h"
#include "sq_error.h"
#include "sq_user.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_MAX_ANSWER (16 * 1024 * 1024) //  most bytes the prisoner may write
#define S_ANSWER_FD 3                   //  the keeper's answer pipe, after the cleanup
#define S_SCRATCH_INODES 1024           //  files and directories the scratch tmpfs holds
#define S_MEMORY_NEAR 4                 //  peak within 1/4 of the limit: out of memory

//  Landlock's user API as of ABI 7, for systems whose headers are older
//  than their kernel (the values are fixed by the kernel's ABI).
#define S_LL_CREATE_RULESET_VERSION (1U << 0)
#define S_LL_RULE_PATH_BENEATH 1
#define S_LL_FS_WRITE_FILE (1ULL << 1)
#define S_LL_FS_REMOVE_DIR (1ULL << 4)
#define S_LL_FS_REMOVE_FILE (1ULL << 5)
#define S_LL_FS_MAKE_CHAR (1ULL << 6)
#define S_LL_FS_MAKE_DIR (1ULL << 7)
#define S_LL_FS_MAKE_REG (1ULL << 8)
#define S_LL_FS_MAKE_SOCK (1ULL << 9)
#define S_LL_FS_MAKE_FIFO (1ULL << 10)
#define S_LL_FS_MAKE_BLOCK (1ULL << 11)
#define S_LL_FS_MAKE_SYM (1ULL << 12)
#define S_LL_FS_REFER (1ULL << 13)    //  ABI 2
#define S_LL_FS_TRUNCATE (1ULL << 14) //  ABI 3
#define S_LL_NET_BIND_TCP (1ULL << 0) //  ABI 4
#define S_LL_NET_CONNECT_TCP (1ULL << 1)
#define S_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) //  ABI 6
#define S_LL_SCOPE_SIGNAL (1ULL << 1)

//  The architectures the seccomp filter knows (little-endian: it reads the
//  low half of a 64-bit argument at its offset).
#if defined(__x86_64__)
#define S_AUDIT_ARCH AUDIT_ARCH_X86_64
#define S_X32_SYSCALL_BIT 0x40000000U
#elif defined(__aarch64__)
#define S_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

typedef struct {
    uint64_t handled_access_fs;  //  file system rights denied unless a rule allows them
    uint64_t handled_access_net; //  network rights likewise (ABI 4)
    uint64_t scoped;             //  IPC denied outside the domain (ABI 6)
} s_ll_ruleset_attr_t;

typedef struct __attribute__ ((packed)) {
    uint64_t allowed_access; //  rights granted beneath parent_fd
    int32_t parent_fd;       //  the directory (or file) granted
} s_ll_path_beneath_attr_t;

struct _nimbus_sandbox_t {
    char *user;         //  nimbus.validation.user
    bool root;          //  nimbus runs as root: the prisoner switches users
    sq_user_t *account; //  then that user's account, else NULL
    uid_t uid;          //  the prisoner's user
    gid_t gid;          //  and group
    int cpu_secs;       //  nimbus.validation.cpu.secs
    int memory_mb;      //  nimbus.validation.memory.mb
    int file_size_mb;   //  nimbus.validation.file.size.mb
    int open_files;     //  nimbus.validation.open.files
    int processes;      //  nimbus.validation.processes
    int namespaces;     //  CLONE_NEW* flags the kernel let a probe unshare, or 0
    int landlock_abi;   //  Landlock ABI version, or 0 without Landlock
    char *summary;      //  nimbus_sandbox_summary
};

//  The namespaces a validation asks for, in decreasing order of wishes.
static const int s_namespace_sets[] = {
    CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS,
    CLONE_NEWPID | CLONE_NEWNS,
    CLONE_NEWPID,
};

//  ---------------------------------------------------------------------
//  Set up (in nimbus)

//  Maps the current user to itself in a new user namespace. 0 or -1.
static int
s_map_user (uid_t uid, gid_t gid)
{
    char text[64];
    const char *files[] = {"/proc/self/setgroups", "/proc/self/uid_map", "/proc/self/gid_map"};
    for (int i = 0; i < 3; i++) {
        if (i == 0)
            snprintf (text, sizeof text, "deny");
        else
            snprintf (text, sizeof text, "%u %u 1\n", i == 1 ? (unsigned) uid : (unsigned) gid,
                      i == 1 ? (unsigned) uid : (unsigned) gid);
        int fd = open (files[i], O_WRONLY | O_CLOEXEC);
        bool ok = fd >= 0 && write (fd, text, strlen (text)) == (ssize_t) strlen (text);
        if (fd >= 0)
            close (fd);
        if (!ok)
            return -1;
    }
    return 0;
}

//  Enters the namespaces of the first set the kernel allows (a user
//  namespace too when not root). Returns the flags entered, or 0.
static int
s_enter_namespaces (bool root)
{
    uid_t uid = geteuid ();
    gid_t gid = getegid ();
    for (size_t i = 0; i < sizeof s_namespace_sets / sizeof s_namespace_sets[0]; i++) {
        int flags = s_namespace_sets[i] | (root ? 0 : CLONE_NEWUSER);
        if (unshare (flags) != 0)
            continue;
        //  Should the map fail, the prisoner runs as the overflow user
        //  (nobody) of the namespace: walled no less.
        if (!root)
            s_map_user (uid, gid);
        return flags;
    }
    return 0;
}

//  Which namespaces a child of this process may enter (probed in a child).
static int
s_probe_namespaces (bool root)
{
    int fds[2];
    if (pipe2 (fds, O_CLOEXEC))
        return 0;
    pid_t pid = fork ();
    if (pid == 0) {
        SQ_COVERAGE_FORKED ();
        int flags = s_enter_namespaces (root);
        ssize_t ignored = write (fds[1], &flags, sizeof flags);
        (void) ignored;
        SQ_COVERAGE_FLUSH ();
        _exit (0);
    }
    close (fds[1]);
    int flags = 0;
    if (pid < 0 || read (fds[0], &flags, sizeof flags) != (ssize_t) sizeof flags)
        flags = 0;
    close (fds[0]);
    while (pid > 0 && waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return flags;
}

nimbus_sandbox_t *
nimbus_sandbox_new (const sq_config_t *config)
{
    assert (config);
    nimbus_sandbox_t *self = calloc (1, sizeof (nimbus_sandbox_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->user = strdup (sq_config_string (config, "nimbus.validation.user", "nobody"));
    if (!self->user) {
        nimbus_sandbox_destroy (&self);
        sq_error_set ("out of memory");
        return NULL;
    }
    //  The config refused values outside each key's range (sq_config).
    self->cpu_secs = (int) sq_config_int (config, "nimbus.validation.cpu.secs", 10);
    self->memory_mb = (int) sq_config_int (config, "nimbus.validation.memory.mb", 256);
    self->file_size_mb = (int) sq_config_int (config, "nimbus.validation.file.size.mb", 16);
    self->open_files = (int) sq_config_int (config, "nimbus.validation.open.files", 64);
    self->processes = (int) sq_config_int (config, "nimbus.validation.processes", 8);
    self->root = geteuid () == 0;
    self->uid = geteuid ();
    self->gid = getegid ();
    if (self->root) {
        self->account = sq_user_lookup (self->user);
        if (!self->account || sq_user_uid (self->account) == 0) {
            sq_error_set ("config key 'nimbus.validation.user': %s",
                          self->account ? "validation must not run as root" : sq_last_error ());
            nimbus_sandbox_destroy (&self);
            return NULL;
        }
        self->uid = sq_user_uid (self->account);
        self->gid = sq_user_gid (self->account);
    }
    self->namespaces = s_probe_namespaces (self->root);
    long abi = syscall (SYS_landlock_create_ruleset, NULL, 0, S_LL_CREATE_RULESET_VERSION);
    self->landlock_abi = abi > 0 ? (int) abi : 0;
    self->summary = zsys_sprintf (
        "validation runs as %s (uid %u)%s, in its own session; namespaces: %s%s%s%s%s%s; "
        "Landlock: %s; seccomp: %s; limits: cpu %d s, memory %d MB, files of %d MB, "
        "%d open files, %d processes",
        self->root ? self->user : "nimbus's own user", (unsigned) self->uid,
        self->root ? "" : " (nimbus is not root: nimbus.validation.user is not used)",
        self->namespaces ? "" : "none (the kernel refuses them)",
        (self->namespaces & CLONE_NEWUSER) ? "user " : "",
        (self->namespaces & CLONE_NEWPID) ? "pid " : "",
        (self->namespaces & CLONE_NEWNS) ? "mount " : "",
        (self->namespaces & CLONE_NEWNET) ? "network " : "",
        (self->namespaces & CLONE_NEWIPC) ? "ipc" : "",
        self->landlock_abi >= 6   ? "writes only to scratch, no TCP, no signals out"
        : self->landlock_abi >= 4 ? "writes only to scratch, no TCP (signals: kernel too old)"
        : self->landlock_abi >= 1 ? "writes only to scratch (TCP, signals: kernel too old)"
                                  : "none (the kernel has no Landlock: writes are bounded by the "
                                    "user's rights only)",
#ifdef S_AUDIT_ARCH
        "signals to itself only",
#else
        "none (an architecture the filter does not know)",
#endif
        self->cpu_secs, self->memory_mb, self->file_size_mb, self->open_files, self->processes);
    if (!self->summary) {
        sq_error_set ("out of memory");
        nimbus_sandbox_destroy (&self);
    }
    return self;
}

void
nimbus_sandbox_destroy (nimbus_sandbox_t **self_p)
{
    assert (self_p);
    nimbus_sandbox_t *self = *self_p;
    if (!self)
        return;
    free (self->user);
    sq_user_destroy (&self->account);
    zstr_free (&self->summary);
    free (self);
    *self_p = NULL;
}

const char *
nimbus_sandbox_summary (nimbus_sandbox_t *self)
{
    assert (self);
    return self->summary;
}

char *
nimbus_sandbox_make_scratch (nimbus_sandbox_t *self)
{
    assert (self);
    const char *tmp = getenv ("TMPDIR");
    char *path = zsys_sprintf ("%s/squall-validation-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!path || !mkdtemp (path)) {
        sq_error_set ("cannot make a scratch directory for a validation: %s", strerror (errno));
        zstr_free (&path);
        return NULL;
    }
    if (self->root && chown (path, self->uid, self->gid) != 0) {
        sq_error_set ("cannot give the scratch directory %s to %s: %s", path, self->user,
                      strerror (errno));
        rmdir (path);
        zstr_free (&path);
    }
    return path;
}

static int
s_remove_entry (const char *path, const struct stat *info, int flag, struct FTW *ftw)
{
    (void) info;
    (void) flag;
    (void) ftw;
    remove (path);
    return 0;
}

void
nimbus_sandbox_remove_scratch (const char *scratch)
{
    if (scratch)
        nftw (scratch, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

//  ---------------------------------------------------------------------
//  The prisoner

//  Writes {"error": why} on fd.
static void
s_write_error (int fd, const char *why)
{
    json_t *answer = json_pack ("{s:s}", "error", why);
    char *text = answer ? json_dumps (answer, JSON_COMPACT) : NULL;
    if (text)
        nimbus_sandbox_write (fd, text);
    free (text);
    json_decref (answer);
}

//  Answers {"error": why} on fd and leaves: a wall could not be built.
static void s_refuse (int fd, const char *format, ...) __attribute__ ((format (printf, 2, 3)))
__attribute__ ((noreturn));

static void
s_refuse (int fd, const char *format, ...)
{
    char why[512];
    va_list args;
    va_start (args, format);
    vsnprintf (why, sizeof why, format, args);
    va_end (args);
    s_write_error (fd, why);
    SQ_COVERAGE_FLUSH ();
    _exit (0);
}

static int
s_limit (int resource, rlim_t value)
{
    struct rlimit limit = {value, value};
    return setrlimit (resource, &limit);
}

//  Bytes of address space this process has mapped.
static rlim_t
s_mapped_bytes (void)
{
    unsigned long pages = 0;
    FILE *file = fopen ("/proc/self/statm", "re");
    if (file && fscanf (file, "%lu", &pages) != 1)
        pages = 0;
    if (file)
        fclose (file);
    return (rlim_t) pages * (rlim_t) sysconf (_SC_PAGESIZE);
}

//  Resident kilobytes of this process.
static long
s_resident_kb (void)
{
    unsigned long pages = 0, resident = 0;
    FILE *file = fopen ("/proc/self/statm", "re");
    if (file && fscanf (file, "%lu %lu", &pages, &resident) != 2)
        resident = 0;
    if (file)
        fclose (file);
    return (long) (resident * (unsigned long) sysconf (_SC_PAGESIZE) / 1024);
}

//  Landlock: writes only beneath the working directory (scratch), no TCP, no signals or abstract
//  sockets out of the domain, as far as the kernel's ABI goes. 0 or -1.
static int
s_landlock (int abi)
{
    s_ll_ruleset_attr_t attr = {0};
    attr.handled_access_fs = S_LL_FS_WRITE_FILE | S_LL_FS_REMOVE_DIR | S_LL_FS_REMOVE_FILE |
                             S_LL_FS_MAKE_CHAR | S_LL_FS_MAKE_DIR | S_LL_FS_MAKE_REG |
                             S_LL_FS_MAKE_SOCK | S_LL_FS_MAKE_FIFO | S_LL_FS_MAKE_BLOCK |
                             S_LL_FS_MAKE_SYM;
    if (abi >= 2)
        attr.handled_access_fs |= S_LL_FS_REFER;
    if (abi >= 3)
        attr.handled_access_fs |= S_LL_FS_TRUNCATE;
    size_t size = sizeof attr.handled_access_fs;
    if (abi >= 4) {
        attr.handled_access_net = S_LL_NET_BIND_TCP | S_LL_NET_CONNECT_TCP;
        size += sizeof attr.handled_access_net;
    }
    if (abi >= 6) {
        attr.scoped = S_LL_SCOPE_SIGNAL | S_LL_SCOPE_ABSTRACT_UNIX_SOCKET;
        size += sizeof attr.scoped;
    }
    int ruleset = (int) syscall (SYS_landlock_create_ruleset, &attr, size, 0);
    if (ruleset < 0)
        return -1;
    s_ll_path_beneath_attr_t beneath = {attr.handled_access_fs,
                                        open (".", O_PATH | O_DIRECTORY | O_CLOEXEC)};
    int rc = beneath.parent_fd >= 0 ? (int) syscall (SYS_landlock_add_rule, ruleset,
                                                     S_LL_RULE_PATH_BENEATH, &beneath, 0)
                                    : -1;
    //  /dev/null stays writable: harmless, and many programs expect it.
    s_ll_path_beneath_attr_t null = {S_LL_FS_WRITE_FILE | (abi >= 3 ? S_LL_FS_TRUNCATE : 0),
                                     open ("/dev/null", O_PATH | O_CLOEXEC)};
    if (rc == 0 && null.parent_fd >= 0)
        rc = (int) syscall (SYS_landlock_add_rule, ruleset, S_LL_RULE_PATH_BENEATH, &null, 0);
    if (rc == 0)
        rc = (int) syscall (SYS_landlock_restrict_self, ruleset, 0);
    if (beneath.parent_fd >= 0)
        close (beneath.parent_fd);
    if (null.parent_fd >= 0)
        close (null.parent_fd);
    close (ruleset);
    return rc;
}

#ifdef S_AUDIT_ARCH
//  A seccomp filter that lets the process signal only the process self
//  (itself, as its children inherit it): kill, tgkill and the sigqueue
//  calls fail with EPERM for any other target (a group, -1, another pid),
//  tkill and pidfd_send_signal always. A wall of its own for kernels
//  without Landlock's signal scope or PID namespaces. 0 or -1.
static int
s_seccomp_signals (pid_t self)
{
    enum { S_ALLOW = 13, S_DENY = 12, S_CHECK = 10 }; //  instruction indexes below
    struct sock_filter filter[] = {
        /*  0 */ BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
        /*  1 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, S_AUDIT_ARCH, 1, 0),
        /*  2 */ BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        /*  3 */ BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
#ifdef S_X32_SYSCALL_BIT
        /*  4 */ BPF_JUMP (BPF_JMP | BPF_JGE | BPF_K, S_X32_SYSCALL_BIT, S_DENY - 5, 0),
#else
        /*  4 */ BPF_JUMP (BPF_JMP | BPF_JA, 0, 0, 0),
#endif
        /*  5 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, S_CHECK - 6, 0),
        /*  6 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, S_CHECK - 7, 0),
        /*  7 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigqueueinfo, S_CHECK - 8, 0),
        /*  8 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_tgsigqueueinfo, S_CHECK - 9, 0),
        /*  9 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_tkill, S_DENY - 10, S_ALLOW - 10),
        /* 10 */ BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[0])),
        /* 11 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) self, S_ALLOW - 12, 0),
        /* 12 */ BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        /* 13 */ BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    //  pidfd_send_signal (424) has one number on every architecture.
    struct sock_filter pidfd[] = {
        BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 424, 0, 1),
        BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
    struct sock_fprog second = {sizeof pidfd / sizeof pidfd[0], pidfd};
    if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0 ||
        syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &second) != 0)
        return -1;
    return 0;
}
#endif

//  In the prisoner: finish the walls, then run fn. Never returns.
static void
s_prisoner (const nimbus_sandbox_t *self, int namespaces, const char *scratch, int fd,
            const char *path, nimbus_sandbox_fn *fn, void *arg)
{
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    //  A /proc of its own PID namespace: nimbus's processes vanish from it.
    if ((namespaces & CLONE_NEWPID) && (namespaces & CLONE_NEWNS))
        mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    //  Entered before the switch of users, which might not be allowed to
    //  reach it (its parents' modes are the operator's affair).
    if (chdir (scratch) != 0)
        s_refuse (fd, "cannot enter the scratch directory %s: %s", scratch, strerror (errno));
    if (s_limit (RLIMIT_CPU, (rlim_t) self->cpu_secs) ||
        s_limit (RLIMIT_AS, s_mapped_bytes () + ((rlim_t) self->memory_mb << 20)) ||
        s_limit (RLIMIT_FSIZE, (rlim_t) self->file_size_mb << 20) ||
        s_limit (RLIMIT_NOFILE, (rlim_t) self->open_files) ||
        s_limit (RLIMIT_NPROC, (rlim_t) self->processes) || s_limit (RLIMIT_CORE, 0))
        s_refuse (fd, "cannot limit the validation process: %s", strerror (errno));
    if (self->root) {
        if (sq_user_become (self->account) != 0)
            s_refuse (fd, "cannot switch the validation process to user %s: %s", self->user,
                      strerror (errno));
    } else {
        //  Keep no capability of the user namespace.
        struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct none[2];
        memset (none, 0, sizeof none);
        if (syscall (SYS_capset, &header, none) != 0)
            s_refuse (fd, "cannot drop the validation process's capabilities: %s",
                      strerror (errno));
    }
    if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        s_refuse (fd, "cannot set no_new_privs: %s", strerror (errno));
    if (self->landlock_abi > 0 && s_landlock (self->landlock_abi) != 0)
        s_refuse (fd, "cannot confine the validation process with Landlock: %s", strerror (errno));
#ifdef S_AUDIT_ARCH
    if (s_seccomp_signals (getpid ()) != 0)
        s_refuse (fd, "cannot confine the validation process's signals with seccomp: %s",
                  strerror (errno));
#endif
    fn (fd, path, arg);
    _exit (1);
}

//  ---------------------------------------------------------------------
//  The keeper

//  Gives the keeper /dev/null as stdin, stdout and stderr, answer_fd as
//  S_ANSWER_FD and nothing else. 0 or -1.
static int
s_keep_only (int answer_fd)
{
    int high = fcntl (answer_fd, F_DUPFD, 10);
    int null = open ("/dev/null", O_RDWR);
    if (high < 0 || null < 0)
        return -1;
    for (int fd = 0; fd < 3; fd++)
        if (null != fd && dup2 (null, fd) < 0)
            return -1;
    if (dup2 (high, S_ANSWER_FD) < 0)
        return -1;
    return (int) syscall (SYS_close_range, S_ANSWER_FD + 1U, ~0U, 0U);
}

//  A copy of the package the prisoner can read whatever the stored
//  file's owner and mode: a memory file. Its /proc path into path
//  (size bytes), or the original path when no copy could be made.
static void
s_package_copy (const char *package_path, char *path, size_t size)
{
    snprintf (path, size, "%s", package_path);
    int in = open (package_path, O_RDONLY | O_CLOEXEC);
    int out = in >= 0 ? memfd_create ("squall-package", 0) : -1;
    char buffer[65536];
    ssize_t got = 0;
    while (out >= 0 && (got = read (in, buffer, sizeof buffer)) > 0)
        if (write (out, buffer, (size_t) got) != got)
            got = -1, errno = EIO;
    if (in >= 0)
        close (in);
    if (out >= 0 && got == 0)
        snprintf (path, size, "/proc/self/fd/%d", out);
    else if (out >= 0)
        close (out);
}

//  Mounts a small tmpfs, owned by the prisoner, on scratch (in the
//  keeper's own mount namespace).
static void
s_mount_scratch (const nimbus_sandbox_t *self, const char *scratch)
{
    if (mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        return;
    char options[128];
    snprintf (options, sizeof options, "size=%dm,nr_inodes=%d,mode=0700,uid=%u,gid=%u",
              self->file_size_mb, S_SCRATCH_INODES, (unsigned) self->uid, (unsigned) self->gid);
    mount ("squall-scratch", scratch, "tmpfs", MS_NOSUID | MS_NODEV, options);
}

//  Why the prisoner failed (its wait status, resource use, and the
//  resident kilobytes it started with); reason is its own error, or NULL.
static char *
s_explain (const nimbus_sandbox_t *self, int status, const struct rusage *usage, long start_kb,
           const char *reason)
{
    long cpu_ms = usage->ru_utime.tv_sec * 1000L + usage->ru_utime.tv_usec / 1000 +
                  usage->ru_stime.tv_sec * 1000L + usage->ru_stime.tv_usec / 1000;
    int signal = WIFSIGNALED (status) ? WTERMSIG (status) : 0;
    //  The kernel's SIGKILL at the hard limit (soft = hard: process 1 of
    //  a PID namespace ignores SIGXCPU). The usage the kernel reports can
    //  fall well short of the count it kills at (measured 1.6 s at a 2 s
    //  limit on a busy virtual machine): half the limit is the threshold.
    if (signal == SIGXCPU || (signal == SIGKILL && cpu_ms >= self->cpu_secs * 500L))
        return zsys_sprintf ("the package used up the %d s of CPU time a validation may take "
                             "(nimbus.validation.cpu.secs)",
                             self->cpu_secs);
    if (signal == SIGXFSZ)
        return zsys_sprintf ("the package wrote a file larger than the %d MB a validation may "
                             "write (nimbus.validation.file.size.mb)",
                             self->file_size_mb);
    char *what = reason   ? zsys_sprintf ("%s", reason)
                 : signal ? zsys_sprintf ("the package crashed the validation process "
                                          "(signal %d: %s)",
                                          signal, strsignal (signal))
                          : zsys_sprintf ("the package ended the validation process (exit "
                                          "status %d) without an answer",
                                          WEXITSTATUS (status));
    long grown_kb = usage->ru_maxrss - start_kb;
    long limit_kb = self->memory_mb * 1024L;
    if (what && grown_kb >= limit_kb - limit_kb / S_MEMORY_NEAR) {
        char *full = zsys_sprintf ("the package ran out of the %d MB of memory a validation may "
                                   "use (nimbus.validation.memory.mb): %s",
                                   self->memory_mb, what);
        zstr_free (&what);
        what = full;
    }
    return what;
}

//  Reads the prisoner's answer from fd, at most S_MAX_ANSWER bytes, into
//  *answer_p (NUL-terminated); its size, or -1 when it wrote more.
static ssize_t
s_read_answer (int fd, char **answer_p)
{
    size_t size = 0, room = 65536;
    char *answer = malloc (room + 1);
    while (answer) {
        if (size == room) {
            room *= 2;
            char *grown = room <= S_MAX_ANSWER ? realloc (answer, room + 1) : NULL;
            if (!grown) {
                free (answer);
                return -1;
            }
            answer = grown;
        }
        ssize_t got = read (fd, answer + size, room - size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size += (size_t) got;
    }
    if (answer)
        answer[size] = 0;
    *answer_p = answer;
    return answer ? (ssize_t) size : -1;
}

void
nimbus_sandbox_write (int fd, const char *text)
{
    assert (text);
    size_t size = strlen (text), done = 0;
    while (done < size) {
        ssize_t written = write (fd, text + done, size - done);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0)
            return;
        done += (size_t) written;
    }
}

void
nimbus_sandbox_run (const nimbus_sandbox_t *self, pid_t parent_pid, const char *scratch,
                    int answer_fd, const char *package_path, nimbus_sandbox_fn *fn, void *arg)
{
    assert (self);
    assert (scratch);
    assert (fn);
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent_pid)
        _exit (1); //  nimbus died before the line above
    setsid ();
    //  Nimbus's handlers and blocked signals are nimbus's affair.
    sq_child_reset_signals ();
    if (s_keep_only (answer_fd) != 0)
        s_refuse (answer_fd, "cannot set up the validation process's descriptors: %s",
                  strerror (errno));
    clearenv ();
    setenv ("PATH", "/usr/bin:/bin", 1);
    setenv ("HOME", scratch, 1);
    setenv ("TMPDIR", scratch, 1);
    setenv ("LC_ALL", "C", 1);
    char path[64 + 4096];
    s_package_copy (package_path, path, sizeof path);
    int namespaces = self->namespaces ? s_enter_namespaces (self->root) : 0;
    if (namespaces & CLONE_NEWNS)
        s_mount_scratch (self, scratch);
    int fds[2];
    if (pipe2 (fds, O_CLOEXEC))
        s_refuse (S_ANSWER_FD, "cannot start a validation: pipe: %s", strerror (errno));
    long start_kb = s_resident_kb ();
    pid_t pid = fork ();
    if (pid < 0)
        s_refuse (S_ANSWER_FD, "cannot start a validation: fork: %s", strerror (errno));
    if (pid == 0) {
        SQ_COVERAGE_FORKED ();
        close (S_ANSWER_FD);
        close (fds[0]);
        s_prisoner (self, namespaces, scratch, fds[1], path, fn, arg);
    }
    close (fds[1]);
    char *answer = NULL;
    ssize_t size = s_read_answer (fds[0], &answer);
    if (size < 0)
        kill (pid, SIGKILL);
    int status = 0;
    struct rusage usage;
    memset (&usage, 0, sizeof usage);
    while (wait4 (pid, &status, 0, &usage) < 0 && errno == EINTR)
        ;
    json_t *parsed = size > 0 ? json_loads (answer, 0, NULL) : NULL;
    const char *reason = json_string_value (json_object_get (parsed, "error"));
    char *why = NULL;
    if (size < 0)
        why = zsys_sprintf ("the validation process wrote more than %d bytes", S_MAX_ANSWER);
    else if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || !parsed || reason)
        why = s_explain (self, status, &usage, start_kb, reason);
    if (why) {
        s_write_error (S_ANSWER_FD, why);
        zstr_free (&why);
    } else
        nimbus_sandbox_write (S_ANSWER_FD, answer);
    json_decref (parsed);
    free (answer);
    SQ_COVERAGE_FLUSH ();
    _exit (0);
}
