import { InvalidArgumentError } from 'commander';

/** A commander argument parser for whole numbers of at least `min`: "abc", "1.5" or "-1" stop the command with exit 2. */
export function intOption(min: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`expected a whole number >= ${min}, got "${value}"`);
    return Number(value);
  };
}
