// Package ingestbench measures how long an uploaded rent roll takes to become
// queryable on the local platform, against DuckDB reading the same file by
// itself (read_csv_auto into a table). It holds only a benchmark and its
// helpers: it is local-only and never imported by the deployed build.
//
//	go test -run X -bench IngestVsReadCSVAuto -benchtime 3x ./internal/ingestbench
package ingestbench
