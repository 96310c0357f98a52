// From a signal score to a level, and from a level to the action the policy's ladder names. Levels are
// sticky: they rise at once, climb further while signals stay tripped, and fall only after a quiet
// cooldown, so an attacker cannot shed a level by pausing for a minute.
import { ACTIONS, LEVELS, actionRank, levelRank, type Action, type ExtractionSettings, type Level } from './config.ts';

export interface LadderState {
  level: Level;
  /** Rows observed with a tripped signal since the level last changed. */
  flaggedRows: number;
  /** When a signal was last tripped (or the level last stepped down). */
  lastFlaggedAt: number;
}

export function initialLadder(now: number): LadderState {
  return { level: 'none', flaggedRows: 0, lastFlaggedAt: now };
}

/** The highest level whose score threshold the score reaches. */
export function levelForScore(score: number, s: ExtractionSettings): Level {
  let level: Level = 'none';
  for (const l of LEVELS) if (l !== 'none' && score >= s.levels[l]) level = l;
  return level;
}

/** The strongest action of the ladder steps at or below the level. */
export function actionForLevel(level: Level, s: ExtractionSettings): Action {
  let action: Action = 'none';
  for (const step of s.actions) {
    if (levelRank(step.at) <= levelRank(level) && actionRank(step.do) > actionRank(action)) action = step.do;
  }
  return action;
}

const raise = (l: Level, by = 1): Level => LEVELS[Math.min(LEVELS.length - 1, levelRank(l) + by)];
const lower = (l: Level): Level => LEVELS[Math.max(0, levelRank(l) - 1)];

/**
 * Moves the state after `rows` more rows at `score`; returns the new level. Persistence counts: with
 * any signal tripped, every `escalateAfterQueries` rows add a step, because an attacker who keeps going
 * after an alert is more certainly an attacker. `critical` never decays: unblocking is a human decision.
 */
export function advance(state: LadderState, score: number, rows: number, now: number, s: ExtractionSettings): Level {
  const fromScore = levelForScore(score, s);
  if (levelRank(fromScore) > levelRank(state.level)) {
    state.level = fromScore;
    state.flaggedRows = 0;
  }
  if (score > 0) {
    state.lastFlaggedAt = now;
    if (state.level !== 'none' && s.escalateAfterQueries > 0) {
      state.flaggedRows += rows;
      while (state.flaggedRows >= s.escalateAfterQueries && state.level !== 'critical') {
        state.level = raise(state.level);
        state.flaggedRows -= s.escalateAfterQueries;
      }
    }
  } else if (state.level !== 'none' && state.level !== 'critical' && now - state.lastFlaggedAt >= s.cooldownMs) {
    state.level = lower(state.level);
    state.lastFlaggedAt = now;
    state.flaggedRows = 0;
  }
  return state.level;
}

export { ACTIONS, LEVELS };
