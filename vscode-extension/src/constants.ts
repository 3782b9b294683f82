/**
 * Every identifier shared between package.json, the code and the server lives here, so a
 * rename is one edit and the activation test can check that package.json and the code agree.
 */

/** Client id: the language client reads `lessonl.trace.server` because of this id. */
export const CLIENT_ID = 'lessonl';
export const CLIENT_NAME = 'LessonL';
export const CONFIG_SECTION = 'lessonl';
export const SERVER_MODULE = 'lessonl_server';

/** Scheme of the read-only virtual documents that hold a proposal's new text. */
export const PROPOSAL_SCHEME = 'lessonl-proposal';
/** Scheme of the markdown summaries of a proposal (speedup, lessons that led to it). */
export const SUMMARY_SCHEME = 'lessonl-summary';

export const LESSONS_VIEW_ID = 'lessonl.lessons';

export const Commands = {
  /** Server command (registered by the language client, never by us). */
  serverOptimize: 'lessonl.optimize',
  /** Server command (registered by the language client; the middleware adds the progress). */
  serverFindHotspots: 'lessonl.findHotspots',
  /** Client-side command the server's code action is rewritten to. */
  optimizeWithReview: 'lessonl.optimizeWithReview',
  /** Client command: runs the server's `lessonl.sweep` with progress, then the summary (sweep.ts). */
  sweepHotspots: 'lessonl.sweepHotspots',
  /** Client command: a quick pick of the project's past sweeps (`lessonl/sweeps`), then the chosen one's summary (sweep.ts). */
  showPastSweep: 'lessonl.showPastSweep',
  acceptProposal: 'lessonl.acceptProposal',
  acceptChange: 'lessonl.acceptChange',
  rejectProposal: 'lessonl.rejectProposal',
  showProposalSummary: 'lessonl.showProposalSummary',
  restartServer: 'lessonl.restartServer',
  setApiKey: 'lessonl.setApiKey',
  showLog: 'lessonl.showLog',
  refreshLessons: 'lessonl.refreshLessons',
  searchLessons: 'lessonl.searchLessons',
  clearLessonSearch: 'lessonl.clearLessonSearch',
  forgetLesson: 'lessonl.forgetLesson',
} as const;

/** Custom LSP methods (docs/contracts.md, "Language server"). */
export const Methods = {
  optimize: 'lessonl/optimize',
  status: 'lessonl/status',
  feedback: 'lessonl/feedback',
  lessons: 'lessonl/lessons',
  forget: 'lessonl/forget',
  sweepProposal: 'lessonl/sweepProposal',
  sweeps: 'lessonl/sweeps',
  sweepSummary: 'lessonl/sweepSummary',
} as const;

/** Server command behind "LessonL: Sweep Hotspots", sent by sweep.ts as `workspace/executeCommand`. */
export const SERVER_SWEEP = 'lessonl.sweep';

/** JSON-RPC error code of a request the client cancelled (LSP RequestCancelled). */
/** Commands the server registers through the language client: contributed, never registered by us. */
export const SERVER_COMMANDS: readonly string[] = [Commands.serverOptimize, Commands.serverFindHotspots];

export const REQUEST_CANCELLED = -32800;
