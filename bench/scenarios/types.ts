// What every benchmark scenario returns: one row per measured figure, with its same-run baseline.

export interface ScenarioResult {
  /** e.g. `tell.same-thread` */
  name: string;
  value: number;
  unit: string;
  /** Baseline figure measured in the same run, same unit (null when the scenario has none). */
  baseline: number | null;
  baselineName: string;
  /** Target on value/baseline (or on value when there is no baseline); omitted when report-only. */
  target?: { ratio?: number; min?: number; max?: number };
  /** Lower is better (latencies, durations). */
  lowerIsBetter?: boolean;
  /**
   * Paired samples of value/baseline taken inside this run (each pair measured back to back), when
   * the scenario samples more than once; the runner pools them across runs for the ratio's spread.
   */
  ratios?: number[];
  /** Extra figures for the record (p99, errors, peak RSS...). */
  extra?: Record<string, number | string>;
}

export interface ScenarioOptions {
  quick: boolean;
  /** The runner's round (0, 1, …): a scenario that alternates an order does it by round. */
  round?: number;
}

export type Scenario = (o: ScenarioOptions) => Promise<ScenarioResult[]>;
