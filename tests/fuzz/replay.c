/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * replay - run a fuzz target over every file of its corpus without
 * libFuzzer, so the corpus is checked by every build (ASan included).
 * Usage: replay DIR... ; fails when a directory holds no input.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > (1 << 22)) {
		fprintf(stderr, "replay: %s: unreadable or too large\n", path);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int total = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		int here = 0;

		if (!d) {
			fprintf(stderr, "replay: %s: no such corpus\n", argv[i]);
			return 1;
		}
		while ((e = readdir(d))) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (run_file(path) < 0)
				return 1;
			here++;
		}
		closedir(d);
		if (here == 0) {
			fprintf(stderr, "replay: %s: empty corpus\n", argv[i]);
			return 1;
		}
		total += here;
	}
	printf("replay: %d inputs ran clean\n", total);
	return 0;
}
