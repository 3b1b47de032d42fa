import { BadUserInputError } from "../errors.ts";
import { isResidentId } from "./residentId.ts";

/** What looks like an attempt at an id: digits and X, no more than 20. Only such a value is named back. */
const ID_LIKE = /^[0-9Xx]{1,20}$/;

/**
 * Rejects anything that is not a valid GB 11643 resident id before any
 * database is read. The message names a bad value that looks like an id (as
 * the data standard asks); anything else is described, never echoed, so an
 * error cannot carry arbitrary text from the request.
 * @throws BadUserInputError
 */
export function assertResidentId(value: string): void {
  if (isResidentId(value)) return;
  const named = ID_LIKE.test(value) ? `"${value}"` : `a value of ${value.length} characters that is not 18 digits`;
  throw new BadUserInputError(`Not a valid resident identity number: ${named}`);
}
