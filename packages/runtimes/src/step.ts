/** One line of the matrix: what it runs, what passing proves, and the run itself. */
export interface Step {
  readonly label: string;
  readonly proves: string;
  run(): Promise<boolean>;
}
