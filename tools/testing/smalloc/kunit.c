// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KUnit runner: brings up the user-space kernel (4 CPUs, as
 * scripts/kunit.sh gives QEMU), loads smalloc, and runs every registered
 * suite, each case in its own thread as KUnit runs it in a kthread.
 * kunit/smalloc_test.c is compiled unchanged; harness_test.c adds the
 * checks only user space can make.
 *
 * A case fails on a failed expectation, on any WARN it provoked (the
 * harness's WARN counts; the kernel's KUnit kernel would print a splat),
 * or if smalloc's module exit finds anything left.  Output is TAP-like
 * and ends with "unit: N passed, N failed, N skipped".
 *
 * Usage: smalloc_unit [-c CPUS] [SUBSTRING...]  (run cases whose
 * "suite.case" name contains one of the substrings)
 */
#include <fnmatch.h>
#include <time.h>
#include <unistd.h>
#include <kunit/test.h>

#define MAX_SUITES	8

static struct kunit_suite *kunit_suites[MAX_SUITES];
static unsigned int kunit_nr_suites;

void kunit_register_suite(struct kunit_suite *suite)
{
	if (kunit_nr_suites < MAX_SUITES)
		kunit_suites[kunit_nr_suites++] = suite;
}

struct kunit_resource {
	struct kunit_resource *next;
	void *mem;
};

void *kunit_kmalloc_array(struct kunit *test, size_t n, size_t size, gfp_t gfp)
{
	struct kunit_resource *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->mem = calloc(n ? n : 1, size ? size : 1);
	if (!r->mem) {
		free(r);
		return NULL;
	}
	pthread_mutex_lock(&test->lock);
	r->next = test->resources;
	test->resources = r;
	pthread_mutex_unlock(&test->lock);
	return r->mem;
}

static void kunit_free_resources(struct kunit *test)
{
	struct kunit_resource *r, *n;

	for (r = test->resources; r; r = n) {
		n = r->next;
		free(r->mem);
		free(r);
	}
	test->resources = NULL;
}

void kunit_fail(struct kunit *test, bool assert, const char *file, int line,
		const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&test->lock);
	test->status = KUNIT_FAILURE;
	fprintf(stderr, "    # %s: %s:%d: %s failed\n    ", test->name, file,
		line, assert ? "ASSERTION" : "EXPECTATION");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&test->lock);
}

void kunit_abort(struct kunit *test)
{
	pthread_exit(NULL);
}

void kunit_do_skip(struct kunit *test, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(test->status_comment, sizeof(test->status_comment), fmt, ap);
	va_end(ap);
	if (test->status == KUNIT_SUCCESS)
		test->status = KUNIT_SKIPPED;
	pthread_exit(NULL);
}

void kunit_log_info(struct kunit *test, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    # %s: ", test->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

struct kunit_run {
	struct kunit *test;
	struct kunit_suite *suite;
	struct kunit_case *kcase;
	bool init_ok;
};

static void *kunit_case_thread(void *arg)
{
	struct kunit_run *r = arg;

	if (r->suite->init && r->suite->init(r->test)) {
		kunit_fail(r->test, true, __FILE__, __LINE__,
			   "suite init failed\n");
		return NULL;
	}
	r->init_ok = true;
	r->kcase->run_case(r->test);
	return NULL;
}

static void *kunit_exit_thread(void *arg)
{
	struct kunit_run *r = arg;

	if (r->init_ok && r->suite->exit)
		r->suite->exit(r->test);
	return NULL;
}

static double kunit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool kunit_selected(int argc, char **argv, const char *suite,
			   const char *name)
{
	char full[256];
	int i;

	if (!argc)
		return true;
	snprintf(full, sizeof(full), "%s.%s", suite, name);
	for (i = 0; i < argc; i++)
		if (strstr(full, argv[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned int s, passed = 0, failed = 0, skipped = 0, n = 0;
	unsigned int cpus = 4;
	int opt, err;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt == 'c')
			cpus = atoi(optarg);
	}
	argc -= optind;
	argv += optind;
	setvbuf(stdout, NULL, _IOLBF, 0);

	err = harness_init(cpus, 512);
	if (err) {
		printf("harness_init failed: %d\n", err);
		printf("unit: 0 passed, 1 failed\n");
		return 1;
	}
	harness_start_kworker();
	printf("KTAP version 1\n");

	for (s = 0; s < kunit_nr_suites; s++) {
		struct kunit_suite *suite = kunit_suites[s];
		struct kunit_case *c;

		printf("# Subtest: %s\n", suite->name);
		if (suite->suite_init && suite->suite_init(suite)) {
			printf("not ok %u %s # suite init failed\n", ++n,
			       suite->name);
			failed++;
			continue;
		}
		for (c = suite->test_cases; c->run_case; c++) {
			struct kunit test = { .name = c->name };
			struct kunit_run r = { .test = &test, .suite = suite,
					       .kcase = c };
			long warns = READ_ONCE(harness_warnings);
			double t0 = kunit_now();
			pthread_t t;

			if (!kunit_selected(argc, argv, suite->name, c->name))
				continue;
			pthread_mutex_init(&test.lock, NULL);
			if (pthread_create(&t, NULL, kunit_case_thread, &r))
				abort();
			pthread_join(t, NULL);
			if (pthread_create(&t, NULL, kunit_exit_thread, &r))
				abort();
			pthread_join(t, NULL);
			kunit_free_resources(&test);
			if (READ_ONCE(harness_warnings) != warns) {
				fprintf(stderr, "    # %s: %ld WARN(s) fired\n",
					c->name, READ_ONCE(harness_warnings) - warns);
				test.status = KUNIT_FAILURE;
			}
			n++;
			switch (test.status) {
			case KUNIT_SUCCESS:
				printf("ok %u %s.%s (%.2fs)\n", n, suite->name,
				       c->name, kunit_now() - t0);
				passed++;
				break;
			case KUNIT_SKIPPED:
				printf("ok %u %s.%s # SKIP %s\n", n, suite->name,
				       c->name, test.status_comment);
				skipped++;
				break;
			default:
				printf("not ok %u %s.%s\n", n, suite->name,
				       c->name);
				failed++;
				break;
			}
			pthread_mutex_destroy(&test.lock);
		}
		if (suite->suite_exit)
			suite->suite_exit(suite);
	}

	/* Unload: everything must have gone back. */
	{
		long warns = READ_ONCE(harness_warnings);

		harness_exit();
		n++;
		if (READ_ONCE(harness_warnings) != warns ||
		    READ_ONCE(harness_pages_out) || harness_kmem_live() ||
		    harness_kmalloc_live()) {
			printf("not ok %u module_exit_returns_everything (pages %ld, descriptors %ld, kmalloc %ld)\n",
			       n, READ_ONCE(harness_pages_out),
			       harness_kmem_live(), harness_kmalloc_live());
			failed++;
		} else {
			printf("ok %u module_exit_returns_everything\n", n);
			passed++;
		}
	}
	printf("unit: %u passed, %u failed, %u skipped\n", passed, failed,
	       skipped);
	return failed ? 1 : 0;
}
