/**
 * Wire types of LessonL's custom LSP methods. They mirror docs/contracts.md's JSON exactly
 * (snake_case inside the report, camelCase in the LSP envelopes) so nothing is renamed between
 * the CLI's `--json` output and what the editor shows.
 */

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

/** An LSP TextEdit: `range` refers to the text the run started from. */
export interface LspTextEdit {
  range: LspRange;
  newText: string;
}

/** Argument of the server command `lessonl.findHotspots` (docs/contracts.md). */
export interface FindHotspotsArgument {
  /** A file or folder of the project to profile; absent: the first workspace folder. */
  uri?: string;
  /** The workload, as `lessonl hotspots -- COMMAND ...` takes it; absent: the project's tests. */
  command?: string[];
  timeoutS?: number;
  /** Our token: the server reports the profile's progress on it and stops on its cancel. */
  workDoneToken?: string;
}

/** Argument of the server command `lessonl.sweep` (docs/contracts.md). */
export interface SweepArgument {
  /** A file or folder of the project to sweep; absent: the first workspace folder. */
  uri?: string;
  top?: number;
  minShare?: number;
  /** The workload, as `lessonl sweep -- COMMAND ...` takes it; absent: the project's tests. */
  command?: string[];
  workDoneToken?: string;
}

/** One function of a sweep, as `lessonl sweep --json` has it. */
export interface SweepFunction {
  function: string;
  file: string;
  share: number;
  best: BestVariant | null;
  report: string | null;
  run_id: string | null;
  verification: string;
  lessons_from_earlier: number;
  tokens: number;
  stopped: string;
  error: string | null;
  /** Why its proposal no longer fits its file (the file changed since the sweep began); null when it fits. */
  stale?: string | null;
}

/** The answer of `lessonl.sweep`: `lessonl sweep --json`'s object plus `sweepId`. */
export interface SweepResult {
  sweepId: string;
  workload: string;
  functions: SweepFunction[];
  end_to_end: {
    workload: string;
    speedup: number | null;
    ci95: [number, number] | null;
    tests_passed: number | null;
    tests_failed: number | null;
    note: string;
  };
  diff: string;
  stopped: string;
  /** When the sweep began (UTC, ISO 8601); absent in sweeps kept before it was recorded. */
  started?: string;
}

/** One entry of `lessonl/sweeps`: a finished sweep kept under `.lessonl/sweep/`, newest first. */
export interface PastSweep {
  sweepId: string;
  started?: string | null;
  workload?: string;
  stopped?: string;
  functions?: number;
  faster?: number;
  endToEnd?: string;
  /** Set instead of the rest when the kept file cannot be read. */
  error?: string;
}

/** Argument of the server's code action command `lessonl.optimize`. */
export interface OptimizeArgument {
  uri: string;
  version: number;
  function?: string;
  range?: LspRange;
  /** The `[[targets]]` entry to use; needed only when several cover the file. */
  target?: string;
  /** From the code action: the names of the targets covering the file, when several do. */
  targets?: string[];
}

/** Params of `lessonl/optimize`. */
export interface OptimizeParams extends OptimizeArgument {
  workDoneToken?: string | number;
}

export interface BestVariant {
  speedup: number | null;
  ci95: [number, number] | null;
  code: string;
  diff: string;
  agent: string;
  round: number;
  lessons?: string[];
  /** Which clock `speedup` is in (`cpu`, `scaled`, `bench`) and the evidence for it. */
  clock?: string | null;
  clock_reason?: string | null;
  /** Why this variant among the measurably faster ones (null when it was the only one). */
  chosen_because?: string | null;
}

export interface RoundReport {
  round: number;
  best_speedup: number | null;
  variants: { agent: string; outcome: string; speedup: number | null; lesson_id: string | null }[];
}

export interface OptimizeReport {
  run_id: string;
  target: string;
  function: string | null;
  best: BestVariant | null;
  rounds: RoundReport[];
  lessons_added: number;
  usage: { input_tokens: number; output_tokens: number; cost_usd: number | null };
  wall_s: number;
  stopped?: string | null;
  /** How correctness was judged, when the engine checked more than the target's test. */
  verification?: { summary?: string; [field: string]: unknown } | null;
}

/**
 * Result of `lessonl/optimize`. `newText` null means nothing better than the original. `edits`
 * are the proposal's hunks against the text the run started from (one per changed run of
 * lines, in document order): the review accepts them one by one or all together.
 */
export interface OptimizeResult {
  proposalId: string;
  uri: string;
  baseVersion: number;
  newText: string | null;
  summary: string;
  report: OptimizeReport;
  edits?: LspTextEdit[];
}

/**
 * Params of the `lessonl/status` notification. `round`, `rounds` and `bestSpeedup` come only
 * for a run without a workDoneToken (ours always have one: the `$/progress` line says them).
 */
export interface StatusParams {
  uri: string;
  kind: string;
  message: string;
  round?: number;
  rounds?: number | null;
  bestSpeedup?: number | null;
  /** The engine's event as JSON: `kind` plus that event's own fields. */
  event: { kind: string; [field: string]: unknown };
}

/**
 * The structured `data` of a `RequestFailed` error from `lessonl/optimize`: what the client can
 * act on without reading the message (which stays the one line shown to the user).
 */
export interface RequestFailedData {
  /** Several targets cover the file: the names to choose from before re-sending. */
  targets?: string[];
  /** An editor setting is bad: its id (`lessonl.rounds`; `lessonl` for the whole section). */
  setting?: string;
}

export interface FeedbackParams {
  proposalId: string;
  accepted: boolean;
}

/** `uri` (an agreed extension) picks the project in a multi-root workspace. */
export interface LessonsParams {
  query?: string;
  limit?: number;
  uri?: string;
}

export interface ForgetParams {
  id: string;
  uri?: string;
}

/** A lesson record, as in `lessonl lessons list --json`. */
export interface LessonRecord {
  id: string;
  text: string;
  outcome: string;
  speedup: number | null;
  language: string | null;
  target: string | null;
  function: string | null;
  agent: string | null;
  run_id: string | null;
  round: number | null;
  factor: number | null;
  uses: number | null;
  created: string | number | null;
}

export interface ForgetResult {
  forgotten: boolean;
}

/** `$/progress` values of LSP work-done progress. */
export type WorkDoneProgressValue =
  | { kind: 'begin'; title: string; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: 'report'; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: 'end'; message?: string };
