/*
 * osu_peer: the benchmarks of gotoro's examples/osu, written against the
 * MPI C API so that Open MPI and MPICH can be measured the same way:
 * warm-up, timed iterations, latency = half the round trip, collectives
 * timed per call after an untimed barrier and averaged over ranks.
 *
 *   mpirun -np 2 osu_peer latency|barrier|reduce|allreduce|bcast [iters] [max]
 *
 * Output: '#' header lines, then "size  avg-latency-us" rows.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size;

static void header(const char *title)
{
	if (rank == 0) {
		printf("# OSU MPI %s Test (C peer)\n", title);
		printf("# %-10s %15s\n", "size", "avg-latency-us");
	}
}

static void report(int bytes, double us)
{
	double sum = 0;
	MPI_Reduce(&us, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0)
		printf("%-12d %15.3f\n", bytes, sum / size);
}

static void counts(int iters, int bytes, int *n, int *warm)
{
	*n = bytes > 8192 ? (iters / 10 > 0 ? iters / 10 : 1) : iters;
	*warm = *n / 10 > 0 ? *n / 10 : 1;
}

static void latency(int iters, int max, char *buf)
{
	header("Latency");
	for (int bytes = 0; bytes <= max; bytes = bytes ? bytes * 2 : 1) {
		int n, warm;
		double t0 = 0;
		counts(iters, bytes, &n, &warm);
		MPI_Barrier(MPI_COMM_WORLD);
		for (int i = 0; i < warm + n; i++) {
			if (i == warm)
				t0 = MPI_Wtime();
			if (rank == 0) {
				MPI_Send(buf, bytes, MPI_CHAR, 1, 1, MPI_COMM_WORLD);
				MPI_Recv(buf, bytes, MPI_CHAR, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			} else if (rank == 1) {
				MPI_Recv(buf, bytes, MPI_CHAR, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
				MPI_Send(buf, bytes, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
			}
		}
		if (rank == 0)
			printf("%-12d %15.3f\n", bytes, (MPI_Wtime() - t0) * 1e6 / (2.0 * n));
	}
}

static void barrier(int iters)
{
	int n, warm;
	header("Barrier Latency");
	counts(iters, 0, &n, &warm);
	for (int i = 0; i < warm; i++)
		MPI_Barrier(MPI_COMM_WORLD);
	double t0 = MPI_Wtime();
	for (int i = 0; i < n; i++)
		MPI_Barrier(MPI_COMM_WORLD);
	report(0, (MPI_Wtime() - t0) * 1e6 / n);
}

/* timed runs one collective per the OSU loop. */
static void timed(const char *title, int which, int iters, int max, int from, float *s, float *r)
{
	header(title);
	for (int bytes = from; bytes <= max; bytes *= 2) {
		int n, warm;
		double total = 0;
		counts(iters, bytes, &n, &warm);
		MPI_Barrier(MPI_COMM_WORLD);
		for (int i = 0; i < warm + n; i++) {
			double t0 = MPI_Wtime();
			if (which == 0)
				MPI_Reduce(s, r, bytes / 4, MPI_FLOAT, MPI_SUM, 0, MPI_COMM_WORLD);
			else if (which == 1)
				MPI_Allreduce(s, r, bytes / 4, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
			else
				MPI_Bcast(s, bytes, MPI_CHAR, 0, MPI_COMM_WORLD);
			if (i >= warm)
				total += MPI_Wtime() - t0;
			MPI_Barrier(MPI_COMM_WORLD);
		}
		report(bytes, total * 1e6 / n);
	}
}

int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (argc < 2) {
		if (rank == 0)
			fprintf(stderr, "usage: osu_peer latency|barrier|reduce|allreduce|bcast [iters] [max]\n");
		MPI_Finalize();
		return 2;
	}
	int iters = argc > 2 ? atoi(argv[2]) : 10000;
	int max = argc > 3 ? atoi(argv[3]) : 1 << 20;
	char *buf = calloc(max + 1, 1);
	float *s = calloc(max / 4 + 1, 4), *r = calloc(max / 4 + 1, 4);
	if (!strcmp(argv[1], "latency") && size >= 2)
		latency(iters, max, buf);
	else if (!strcmp(argv[1], "barrier"))
		barrier(iters);
	else if (!strcmp(argv[1], "reduce"))
		timed("Reduce Latency", 0, iters, max, 4, s, r);
	else if (!strcmp(argv[1], "allreduce"))
		timed("Allreduce Latency", 1, iters, max, 4, s, r);
	else if (!strcmp(argv[1], "bcast"))
		timed("Broadcast Latency", 2, iters, max, 1, (float *)buf, r);
	else if (rank == 0)
		fprintf(stderr, "osu_peer: unknown benchmark %s\n", argv[1]);
	free(buf);
	free(s);
	free(r);
	MPI_Finalize();
	return 0;
}
