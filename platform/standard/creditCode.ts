/**
 * GB 32100 unified social credit codes: 18 characters from
 * `0-9A-HJ-NPQRTUWXY` with a weighted MOD 31 check character.
 */

const CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const SHAPE = /^[0-9A-HJ-NPQRTUWXY]{18}$/;

/** The MOD 31 check character for the first 17 characters of a credit code. */
export function creditCodeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CHARSET.indexOf(first17[i]!) * WEIGHTS[i]!;
  return CHARSET[(31 - (sum % 31)) % 31]!;
}

/** Whether `value` is a well-formed unified social credit code. */
export function isCreditCode(value: string): boolean {
  return SHAPE.test(value) && creditCodeCheckCharacter(value.slice(0, 17)) === value[17];
}
