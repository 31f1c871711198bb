/** The action types a session may list, by their config name. `balance` is wired by the session. */
import type { Obj, Problems } from '../../pipeline/problems.js';
import type { Action } from '../types.js';
import { dedupe } from './dedupe.js';
import { mask } from './mask.js';
import { rateLimit } from './rate-limit.js';
import { sample } from './sample.js';
import { slice } from './slice.js';
import { strip } from './strip.js';

export interface ActionType {
  validate(o: Obj, path: string, p: Problems): void;
  create(name: string, o: Obj): Action;
  needsFlowHash?: (o: Obj) => boolean;
}

export const ACTION_TYPES: Record<string, ActionType> = {
  dedupe,
  slice,
  mask,
  strip,
  sample,
  rate_limit: rateLimit,
};

/** Every name a session's `actions[].type` may take. */
export const ACTION_NAMES = [...Object.keys(ACTION_TYPES), 'balance'] as const;
