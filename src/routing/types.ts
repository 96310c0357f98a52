// The routing vocabulary: endpoint policies, what route() decides, and the arms outcomes are counted
// under. Plain data, safe to serialise as JSON (policies are stored as policy_json).

/** A source of uniform numbers in [0, 1). Math.random in production; seededRng(...) in tests. */
export type Rng = () => number;

export interface SinglePolicy {
  kind: 'single';
  version: string;
}

export interface CanaryPolicy {
  kind: 'canary';
  stable: string;
  candidate: string;
  /** Percent of requests sent to the candidate, 0..100. */
  weight: number;
}

export interface BlueGreenPolicy {
  kind: 'blue-green';
  blue: string;
  green: string;
  active: 'blue' | 'green';
}

export interface ShadowPolicy {
  kind: 'shadow';
  primary: string;
  shadow: string;
  /** Share of requests mirrored to the shadow, 0..1. */
  sampleRate: number;
}

export interface AbVariant {
  /** Short name, used in the arm ('variant:<name>') and in reports. */
  name: string;
  version: string;
  /** Relative weight (any non-negative scale; shares are weight / sum). */
  weight: number;
}

export interface AbPolicy {
  kind: 'ab';
  variants: AbVariant[];
  /** Request header whose value is the sticky key, e.g. 'x-user-id' (lower-case). */
  stickyHeader: string;
}

export type Policy = SinglePolicy | CanaryPolicy | BlueGreenPolicy | ShadowPolicy | AbPolicy;
export type PolicyKind = Policy['kind'];

export type PrimaryArm = 'stable' | 'candidate' | 'blue' | 'green' | 'primary' | `variant:${string}`;
export type Arm = PrimaryArm | 'shadow';

export interface RouteContext {
  /** The endpoint (= model) name; part of the sticky hash so two experiments split users independently. */
  endpoint: string;
  requestId: string;
  /** Value of the policy's sticky header, when the caller sent one. */
  stickyKey?: string;
}

export interface RouteDecision {
  primary: { version: string; arm: PrimaryArm };
  /** Present when the request is also to be mirrored; its answer is never shown to the client. */
  shadow?: { version: string; arm: 'shadow' };
}
