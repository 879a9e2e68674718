import type { AlarmOperator } from '@pieng/shared';

/** Whether a reading's value meets a rule's condition. */
export function conditionHolds(value: number, operator: AlarmOperator, threshold: number): boolean {
  switch (operator) {
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
    case '>=':
      return value >= threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}
