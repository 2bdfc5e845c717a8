// SPDX-License-Identifier: GPL-2.0-only
/*
 * smallocinfo: a slabtop-like view of smalloc, from its debugfs file
 * /sys/kernel/debug/smalloc/info (format 1, described in smalloc_stats.c
 * and Documentation/smalloc.rst).
 *
 *   smallocinfo [-o] [-d SECS [-n COUNT]] [-s size|used|pages|eff] [-a]
 *               [--debugfs DIR]
 *
 * It prints the totals, one row per size class that holds spans, then the
 * same sums per CPU and per context level.  Efficiency is the bytes of
 * live blocks (each counted at its class size: smalloc does not keep the
 * requested size) over the bytes of the frames of the spans holding them;
 * large allocations (whole pages from the page allocator) are shown apart
 * and left out of it.
 *
 * The file is one snapshot, taken by each CPU of its own heaps; the
 * figures of one report are therefore consistent with each other, but
 * pages_held is read just after, so it may differ from the spans' pages
 * while smalloc is busy.
 *
 * Plain C and libc only, so that it can be linked statically and run in
 * a busybox guest (tests/guest/modtest.sh does).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#define INFO_VERSION	1
#define DEFAULT_DEBUGFS	"/sys/kernel/debug/smalloc"
#define MAX_FIELDS	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* What the class and heap tables have in common. */
struct sum {
	unsigned long spans, pages, full, retired, used, remote;
	unsigned long carved, reserved, bytes_used;
};

struct class_row {
	unsigned long index, size, order;
	struct sum s;
};

struct heap_row {
	unsigned long cpu;
	char ctx[16];
	struct sum s;
};

struct info {
	unsigned long page_size, pages_held, large_live;
	struct class_row *classes;
	size_t nr_classes;
	struct heap_row *heaps;
	size_t nr_heaps;
};

static const char *prog = "smallocinfo";
static const char *debugfs_dir = DEFAULT_DEBUGFS;
static const char *info_path;	/* for error messages */

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/* Is @dir missing or empty (an unmounted debugfs mount point)? */
static int dir_is_empty(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int empty = 1;

	if (!dp)
		return errno == ENOENT;
	while ((d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(dp);
	return empty;
}

/* Say why @debugfs_dir or its info file cannot be read, and exit. */
static void explain_open_failure(int err)
{
	char parent[PATH_MAX], path[PATH_MAX];
	struct stat st;
	char *slash;

	if (err == EACCES || err == EPERM)
		die("permission denied reading %s: debugfs is readable by root only (run as root)",
		    info_path);
	if (err != ENOENT)
		die("cannot read %s: %s", info_path, strerror(err));
	if (stat(debugfs_dir, &st) == 0) {
		snprintf(path, sizeof(path), "%s/stats", debugfs_dir);
		if (access(path, F_OK) == 0)
			die("%s has no 'info' file: this smalloc.ko predates smallocinfo (format %d)",
			    debugfs_dir, INFO_VERSION);
		die("%s has no 'info' file: is it smalloc's debugfs directory?",
		    debugfs_dir);
	}
	if (errno == EACCES)
		die("permission denied reading %s: debugfs is readable by root only (run as root)",
		    debugfs_dir);
	snprintf(parent, sizeof(parent), "%s", debugfs_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	else
		snprintf(parent, sizeof(parent), "%s", slash ? "/" : ".");
	if (dir_is_empty(parent))
		die("debugfs is not mounted at %s (mount -t debugfs none %s)",
		    parent, parent);
	die("smalloc is not loaded: no %s (insmod smalloc.ko)", debugfs_dir);
}

/* The whole file: debugfs files have no size, so read to the end. */
static char *read_file(void)
{
	size_t len = 0, cap = 16384;
	char *buf = xrealloc(NULL, cap);
	ssize_t n;
	int fd;

	fd = open(info_path, O_RDONLY);
	if (fd < 0)
		explain_open_failure(errno);
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			explain_open_failure(errno);
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static unsigned int lineno;

static void bad(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%u: malformed: ", prog, info_path, lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Next line of *@pos (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **pos)
{
	char *line = *pos, *nl;

	if (!*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*pos = nl + 1;
	} else {
		*pos = line + strlen(line);
	}
	lineno++;
	return line;
}

/* Split @line on blanks into @f; returns the count. */
static int split(char *line, char **f)
{
	int n = 0;
	char *tok;

	for (tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (n == MAX_FIELDS)
			bad("more than %d fields", MAX_FIELDS);
		f[n++] = tok;
	}
	return n;
}

static unsigned long number(const char *s, const char *col)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		bad("column %s: '%s' is not a number", col, s);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno)
		bad("column %s: '%s' is not a number", col, s);
	return v;
}

/*
 * A table's header: where each of @want's columns is (every one must be
 * there; others are ignored, so columns can be added).
 */
static void find_columns(char **hdr, int nf, const char *const *want,
			 int nwant, int *at)
{
	int i, j;

	for (i = 0; i < nwant; i++) {
		at[i] = -1;
		for (j = 0; j < nf; j++)
			if (!strcmp(hdr[j], want[i]))
				at[i] = j;
		if (at[i] < 0)
			bad("table '%s' has no column '%s'", hdr[0], want[i]);
	}
}

/* The columns both tables end with, in struct sum's order. */
static const char *const sum_cols[] = {
	"spans", "pages", "full", "retired", "used", "remote",
	"carved", "reserved", "bytes_used",
};

#define NR_SUM	ARRAY_SIZE(sum_cols)

/* A class or heap table's header: @lead's columns, then sum_cols. */
static void find_sum_columns(char **hdr, int nf, const char *const *lead,
			     int nlead, int *at)
{
	const char *want[MAX_FIELDS];
	size_t i;

	for (i = 0; i < (size_t)nlead; i++)
		want[i] = lead[i];
	for (i = 0; i < NR_SUM; i++)
		want[nlead + i] = sum_cols[i];
	find_columns(hdr, nf, want, nlead + NR_SUM, at);
}

static void parse_sum(char **f, const int *at, struct sum *s)
{
	unsigned long *v = &s->spans;
	size_t i;

	for (i = 0; i < NR_SUM; i++)
		v[i] = number(f[at[i]], sum_cols[i]);
}

/* Read a table's rows up to an empty line or the end; calls @row. */
static void parse_rows(char **pos, int nf, char **hdr,
		       void (*row)(struct info *, char **), struct info *in)
{
	char *f[MAX_FIELDS], *line;
	int n;

	while ((line = next_line(pos)) && *line) {
		n = split(line, f);
		if (n != nf)
			bad("%d fields in a row of table '%s', its header has %d",
			    n, hdr[0], nf);
		row(in, f);
	}
}

static int class_at[3 + NR_SUM];
static int heap_at[2 + NR_SUM];

static void class_row(struct info *in, char **f)
{
	struct class_row *c;

	in->classes = xrealloc(in->classes,
			       (in->nr_classes + 1) * sizeof(*in->classes));
	c = &in->classes[in->nr_classes++];
	c->index = number(f[class_at[0]], "class");
	c->size = number(f[class_at[1]], "size");
	c->order = number(f[class_at[2]], "order");
	if (!c->size)
		bad("class %lu has size 0", c->index);
	parse_sum(f, class_at + 3, &c->s);
}

static void heap_row(struct info *in, char **f)
{
	struct heap_row *h;
	const char *ctx = f[heap_at[1]];

	in->heaps = xrealloc(in->heaps, (in->nr_heaps + 1) * sizeof(*in->heaps));
	h = &in->heaps[in->nr_heaps++];
	h->cpu = number(f[heap_at[0]], "cpu");
	if (strlen(ctx) >= sizeof(h->ctx) || (*ctx >= '0' && *ctx <= '9'))
		bad("column ctx: '%s' is not a context level", ctx);
	snprintf(h->ctx, sizeof(h->ctx), "%s", ctx);
	parse_sum(f, heap_at + 2, &h->s);
}

static void parse(char *buf, struct info *in)
{
	static const char *const glob_cols[] = {
		"page_size", "pages_held", "large_live",
	};
	static const char *const class_lead[] = { "class", "size", "order" };
	static const char *const heap_lead[] = { "cpu", "ctx" };
	char *pos = buf, *line, *f[MAX_FIELDS], *hdr[MAX_FIELDS];
	int n, nf, glob_at[3], seen_glob = 0;
	char *hdr_copy;

	memset(in, 0, sizeof(*in));
	lineno = 0;
	line = next_line(&pos);
	if (!line)
		bad("the file is empty");
	n = split(line, f);
	if (n != 2 || strcmp(f[0], "smallocinfo"))
		bad("the first line is not 'smallocinfo VERSION'");
	if (strcmp(f[1], "1")) {
		fprintf(stderr, "%s: %s: unknown format version '%s' (this smallocinfo reads version %d)\n",
			prog, info_path, f[1], INFO_VERSION);
		exit(1);
	}
	while ((line = next_line(&pos))) {
		if (!*line)
			continue;
		/* A header: copy it, split() cuts the line in place. */
		hdr_copy = strdup(line);
		if (!hdr_copy)
			die("out of memory");
		nf = split(hdr_copy, hdr);
		if (!strcmp(hdr[0], "page_size")) {
			find_columns(hdr, nf, glob_cols, 3, glob_at);
			line = next_line(&pos);
			if (!line || split(line, f) != nf)
				bad("table 'page_size' needs one row of %d fields", nf);
			in->page_size = number(f[glob_at[0]], "page_size");
			in->pages_held = number(f[glob_at[1]], "pages_held");
			in->large_live = number(f[glob_at[2]], "large_live");
			if (!in->page_size)
				bad("page_size is 0");
			seen_glob = 1;
			line = next_line(&pos);
			if (line && *line)
				bad("table 'page_size' has more than one row");
		} else if (!strcmp(hdr[0], "class")) {
			find_sum_columns(hdr, nf, class_lead, 3, class_at);
			parse_rows(&pos, nf, hdr, class_row, in);
		} else if (!strcmp(hdr[0], "cpu")) {
			find_sum_columns(hdr, nf, heap_lead, 2, heap_at);
			parse_rows(&pos, nf, hdr, heap_row, in);
		} else {
			/* A table of a later version: skip it. */
			while ((line = next_line(&pos)) && *line)
				;
		}
		free(hdr_copy);
	}
	if (!seen_glob)
		bad("no 'page_size' table");
	if (!in->nr_classes)
		bad("no 'class' table");
	if (!in->nr_heaps)
		bad("no 'cpu' table");
}

/* ------------------------------------------------------------------ */
/* Printing                                                            */
/* ------------------------------------------------------------------ */

static void add(struct sum *to, const struct sum *s)
{
	unsigned long *t = &to->spans;
	const unsigned long *v = &s->spans;
	size_t i;

	for (i = 0; i < NR_SUM; i++)
		t[i] += v[i];
}

static int sum_eq(const struct sum *a, const struct sum *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Bytes of live blocks per byte of span frames, in percent; -1: none. */
static double eff(const struct sum *s, unsigned long page_size)
{
	if (!s->pages)
		return -1;
	return 100.0 * s->bytes_used / ((double)s->pages * page_size);
}

static void print_pct(double v)
{
	if (v < 0)
		printf(" %6s", "-");
	else
		printf(" %6.1f", v);
}

static unsigned long kib(unsigned long pages, unsigned long page_size)
{
	return pages * (page_size / 1024);
}

enum sort_key { SORT_SIZE, SORT_USED, SORT_PAGES, SORT_EFF };
static enum sort_key sort_key = SORT_SIZE;
static unsigned long sort_page_size;

static int cmp_ul_desc(unsigned long a, unsigned long b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_class(const void *pa, const void *pb)
{
	const struct class_row *a = pa, *b = pb;
	double ea, eb;
	int r = 0;

	switch (sort_key) {
	case SORT_SIZE:
		break;
	case SORT_USED:
		r = cmp_ul_desc(a->s.used, b->s.used);
		break;
	case SORT_PAGES:
		r = cmp_ul_desc(a->s.pages, b->s.pages);
		break;
	case SORT_EFF:
		ea = eff(&a->s, sort_page_size);
		eb = eff(&b->s, sort_page_size);
		r = ea < eb ? 1 : ea > eb ? -1 : 0;
		break;
	}
	if (!r)
		r = a->size < b->size ? -1 : a->size > b->size;
	return r;
}

static int show_all;

static void sum_header(const char *first)
{
	printf("%-8s %6s %7s %9s %9s %9s %7s %6s\n", first, "SPANS", "PAGES",
	       "KiB", "USED", "REMOTE", "RETIRED", "EFF%");
}

static void sum_line(const char *name, const struct sum *s,
		     unsigned long page_size)
{
	printf("%-8s %6lu %7lu %9lu %9lu %9lu %7lu", name, s->spans, s->pages,
	       kib(s->pages, page_size), s->used, s->remote, s->retired);
	print_pct(eff(s, page_size));
	putchar('\n');
}

/* The level names in the order the file gives them. */
static size_t ctx_names(const struct info *in, const char **names, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < in->nr_heaps; i++) {
		for (j = 0; j < n; j++)
			if (!strcmp(names[j], in->heaps[i].ctx))
				break;
		if (j == n && n < max)
			names[n++] = in->heaps[i].ctx;
	}
	return n;
}

static void report(const struct info *in)
{
	unsigned long ps = in->page_size, cpu, max_cpu = 0, hidden = 0;
	struct sum total = { 0 }, heaps = { 0 }, s;
	const char *ctx[16];
	char name[24];
	size_t i, j, nctx;
	double e;

	for (i = 0; i < in->nr_classes; i++)
		add(&total, &in->classes[i].s);
	for (i = 0; i < in->nr_heaps; i++) {
		add(&heaps, &in->heaps[i].s);
		if (in->heaps[i].cpu > max_cpu)
			max_cpu = in->heaps[i].cpu;
	}
	if (!sum_eq(&total, &heaps))
		fprintf(stderr, "%s: warning: the class and cpu tables of %s do not add up to the same sums\n",
			prog, info_path);

	printf(" Objects used / total (%% used)  : %lu / %lu (%.1f%%)\n",
	       total.used, total.reserved,
	       total.reserved ? 100.0 * total.used / total.reserved : 0.0);
	printf(" Objects carved so far          : %lu\n", total.carved);
	printf(" Spans (full / retired)         : %lu (%lu / %lu)\n",
	       total.spans, total.full, total.retired);
	printf(" Pages in spans                 : %lu (%lu KiB)\n",
	       total.pages, kib(total.pages, ps));
	printf(" Pages held, large included     : %lu (%lu KiB), %lu large allocations live\n",
	       in->pages_held, kib(in->pages_held, ps), in->large_live);
	printf(" Bytes in live objects          : %lu\n", total.bytes_used);
	e = eff(&total, ps);
	if (e < 0)
		printf(" Efficiency                     : - (no spans)\n");
	else
		printf(" Efficiency                     : %.1f%%\n", e);
	printf(" Remote frees pending           : %lu\n", total.remote);

	qsort(in->classes, in->nr_classes, sizeof(*in->classes), cmp_class);
	printf("\n%6s %9s %9s %6s %6s %7s %9s %6s %9s\n", "SIZE", "USED",
	       "TOTAL", "USE%", "SPANS", "PAGES", "KiB", "EFF%", "REMOTE");
	for (i = 0; i < in->nr_classes; i++) {
		const struct class_row *c = &in->classes[i];

		if (!c->s.spans && !show_all) {
			hidden++;
			continue;
		}
		printf("%6lu %9lu %9lu", c->size, c->s.used, c->s.reserved);
		print_pct(c->s.reserved ? 100.0 * c->s.used / c->s.reserved : -1);
		printf(" %6lu %7lu %9lu", c->s.spans, c->s.pages,
		       kib(c->s.pages, ps));
		print_pct(eff(&c->s, ps));
		printf(" %9lu\n", c->s.remote);
	}
	if (hidden)
		printf("(%lu classes without spans not shown; -a shows them)\n",
		       hidden);

	putchar('\n');
	sum_header("CPU");
	for (cpu = 0; cpu <= max_cpu; cpu++) {
		int any = 0;

		memset(&s, 0, sizeof(s));
		for (i = 0; i < in->nr_heaps; i++)
			if (in->heaps[i].cpu == cpu) {
				add(&s, &in->heaps[i].s);
				any = 1;
			}
		if (!any || (!s.spans && !show_all))
			continue;
		snprintf(name, sizeof(name), "%lu", cpu);
		sum_line(name, &s, ps);
	}

	putchar('\n');
	sum_header("CONTEXT");
	nctx = ctx_names(in, ctx, 16);
	for (j = 0; j < nctx; j++) {
		memset(&s, 0, sizeof(s));
		for (i = 0; i < in->nr_heaps; i++)
			if (!strcmp(in->heaps[i].ctx, ctx[j]))
				add(&s, &in->heaps[i].s);
		sum_line(ctx[j], &s, ps);
	}
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(FILE *to, int status)
{
	fprintf(to,
		"usage: %s [-o] [-d SECS [-n COUNT]] [-s KEY] [-a] [--debugfs DIR]\n"
		"\n"
		"A slabtop-like view of smalloc from DIR/info (default %s).\n"
		"\n"
		"  -o, --once        one report, then exit (the default)\n"
		"  -d, --delay SECS  a report every SECS seconds (the screen is cleared\n"
		"                    between reports when the output is a terminal)\n"
		"  -n, --count N     stop after N reports (with -d; default: never)\n"
		"  -s, --sort KEY    order of the class rows: size (ascending, default),\n"
		"                    used, pages or eff (descending)\n"
		"  -a, --all         also classes and CPUs that hold no span\n"
		"      --debugfs DIR read DIR/info instead\n"
		"  -h, --help        this text\n"
		"\n"
		"EFF%% is the bytes of live objects (counted at their class size) over the\n"
		"bytes of the pages of the spans; large allocations are left out of it.\n",
		prog, DEFAULT_DEBUGFS);
	exit(status);
}

static unsigned long parse_count(const char *arg, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!*arg || *end || errno || *arg == '-' || !v) {
		fprintf(stderr, "%s: %s wants a positive whole number, not '%s'\n",
			prog, what, arg);
		usage(stderr, 2);
	}
	return v;
}

static void bad_sort_key(const char *key)
{
	fprintf(stderr, "%s: unknown sort key '%s' (size, used, pages or eff)\n",
		prog, key);
	usage(stderr, 2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once",	no_argument,		NULL, 'o' },
		{ "delay",	required_argument,	NULL, 'd' },
		{ "count",	required_argument,	NULL, 'n' },
		{ "sort",	required_argument,	NULL, 's' },
		{ "all",	no_argument,		NULL, 'a' },
		{ "debugfs",	required_argument,	NULL, 'D' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	unsigned long delay = 0, count = 0, done;
	char path[PATH_MAX];
	struct info in;
	int tty, c;

	while ((c = getopt_long(argc, argv, "od:n:s:ah", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			delay = 0;
			break;
		case 'd':
			delay = parse_count(optarg, "-d");
			break;
		case 'n':
			count = parse_count(optarg, "-n");
			break;
		case 's':
			if (!strcmp(optarg, "size"))
				sort_key = SORT_SIZE;
			else if (!strcmp(optarg, "used"))
				sort_key = SORT_USED;
			else if (!strcmp(optarg, "pages"))
				sort_key = SORT_PAGES;
			else if (!strcmp(optarg, "eff"))
				sort_key = SORT_EFF;
			else
				bad_sort_key(optarg);
			break;
		case 'a':
			show_all = 1;
			break;
		case 'D':
			debugfs_dir = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr, 2);
	}
	if (count && !delay) {
		fprintf(stderr, "%s: -n needs -d\n", prog);
		usage(stderr, 2);
	}
	if (!delay)
		count = 1;
	snprintf(path, sizeof(path), "%s/info", debugfs_dir);
	info_path = path;
	tty = isatty(STDOUT_FILENO);

	for (done = 0; !count || done < count; done++) {
		char *buf = read_file();
		char stamp[32];
		time_t now = time(NULL);

		parse(buf, &in);
		sort_page_size = in.page_size;
		if (delay && tty)
			fputs("\033[H\033[2J", stdout);
		else if (done)
			putchar('\n');
		strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&now));
		printf("smallocinfo: %s, %s\n", debugfs_dir, stamp);
		report(&in);
		fflush(stdout);
		free(in.classes);
		free(in.heaps);
		free(buf);
		if (delay && (!count || done + 1 < count))
			sleep(delay);
	}
	return 0;
}
