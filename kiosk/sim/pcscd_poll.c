/* pcscd_poll.c: a shorter card-presence poll for the private test pcscd (LD_PRELOAD).
 *
 * pcscd 1.9.9 asks a driver without a polling thread of its own (vpcd is one) whether a card
 * is present every PCSCLITE_STATUS_POLL_RATE, a compile-time 400 ms: a virtual card placed
 * or removed waits up to that long to be seen, twice per tap. USB CCID readers tell pcscd at
 * once through their interrupt endpoint, so the wait is the virtual reader's, not a Pi's.
 * pcscd sleeps between polls with nanosleep(400 ms) and sleeps that long nowhere else; this
 * library, preloaded into that pcscd only (kiosk.sim.pcscd), turns exactly that sleep into
 * KIOSK_PCSCD_POLL_US microseconds and leaves every other sleep alone.
 *
 * Built by kiosk.sim.pcscd with the C compiler that builds pyscard:
 *   cc -shared -fPIC -O2 -o pcscd_poll.so pcscd_poll.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

#define PCSCD_STATUS_POLL_NS 400000000L

int nanosleep(const struct timespec *request, struct timespec *remaining)
{
    static int (*real_nanosleep)(const struct timespec *, struct timespec *);
    static long poll_ns = -1;
    if (real_nanosleep == NULL)
        real_nanosleep = (int (*)(const struct timespec *, struct timespec *))
            dlsym(RTLD_NEXT, "nanosleep");
    if (poll_ns < 0) {
        const char *us = getenv("KIOSK_PCSCD_POLL_US");
        long value = us ? strtol(us, NULL, 10) : 0;
        poll_ns = value > 0 && value < 400000 ? value * 1000L : PCSCD_STATUS_POLL_NS;
    }
    if (request != NULL && request->tv_sec == 0 && request->tv_nsec == PCSCD_STATUS_POLL_NS) {
        struct timespec shorter = {0, poll_ns};
        return real_nanosleep(&shorter, remaining);
    }
    return real_nanosleep(request, remaining);
}
