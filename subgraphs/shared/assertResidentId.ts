import { BadUserInputError } from "../../platform/errors.ts";
import { isResidentId } from "./residentId.ts";

/**
 * Rejects anything that is not a valid GB 11643 resident id, naming the bad
 * value (quoted and cut to 40 characters), before any database is read.
 * @throws BadUserInputError
 */
export function assertResidentId(value: string): void {
  if (!isResidentId(value)) {
    throw new BadUserInputError(`Not a valid resident identity number: ${JSON.stringify(value.slice(0, 40))}`);
  }
}
