/* SPDX-License-Identifier: BSD-2-Clause
 * placement_probe: where the host put this VM's two vCPUs, from the round
 * trip of one cache line between CPU 0 and CPU 1 (two threads, each pinned,
 * taking turns to write a shared counter). On these VMs the round trip is
 * about 80-100 ns when the vCPUs share a cache ("near") and about 400-450 ns
 * when they do not ("far"); forwarding over memif moves with it by 2-3x
 * (../shared/reference/local-anchors.md, section 0.1).
 * Usage: placement_probe [MILLISECONDS]   prints "near|far|mid MEDIAN_NS".
 * Bounded: it runs for the given time (default 300 ms), then stops.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Alignas(64) atomic_uint_fast64_t ball;
static atomic_int stop;

static void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void* responder(void* arg) {
    (void)arg;
    pin(1);
    uint_fast64_t v = 1;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (atomic_load_explicit(&ball, memory_order_acquire) == v) {
            atomic_store_explicit(&ball, v + 1, memory_order_release);
            v += 2;
        }
    }
    return NULL;
}

static int cmp(const void* a, const void* b) {
    const uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
    const uint64_t ms = argc > 1 ? strtoull(argv[1], NULL, 10) : 300;
    enum { batches = 4096, per = 256 };
    static uint64_t sample[batches];
    pthread_t t;
    if (pthread_create(&t, NULL, responder, NULL) != 0) return 1;
    pin(0);
    const uint64_t end = now_ns() + ms * 1000000u;
    int n = 0;
    uint_fast64_t v = 0;
    while (n < batches && now_ns() < end) {
        const uint64_t t0 = now_ns();
        for (int i = 0; i < per; ++i) {
            atomic_store_explicit(&ball, v + 1, memory_order_release);
            /* A peer stalled for ~millions of spins (descheduled): move on. */
            for (uint32_t spins = 0; atomic_load_explicit(&ball, memory_order_acquire) != v + 2; ++spins)
                if (spins > 50000000u) break;
            v += 2;
        }
        sample[n++] = (now_ns() - t0) / per;
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    if (n == 0) return 1;
    qsort(sample, (size_t)n, sizeof sample[0], cmp);
    const uint64_t med = sample[n / 2];
    printf("%s %llu\n", med < 200 ? "near" : med > 300 ? "far" : "mid", (unsigned long long)med);
    return 0;
}
