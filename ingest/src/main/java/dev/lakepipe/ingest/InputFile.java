package dev.lakepipe.ingest;

import java.io.Serializable;

/**
 * One input file of a file-based source: its full path, its path relative to the source root (what lineage
 * ids hash, so a moved lake keeps its ids), and what the ingest log keys it on.
 */
record InputFile(String source, String path, String relativePath, long size, long modificationTime)
    implements Serializable {}
