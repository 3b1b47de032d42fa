/**
 * Resolvers for the standard's scalars (`schema/scalars.graphql`). Each one
 * rejects malformed input with BAD_USER_INPUT and refuses to serialize a
 * value that would break the standard (a float as Money, an invalid date).
 */
import { GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { BadUserInputError } from "../errors.ts";
import { isCreditCode } from "./creditCode.ts";
import { isCalendarDate } from "./residentId.ts";
import { decimalToMoney, isMoney } from "./money.ts";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

function stringLiteral(ast: ValueNode, scalar: string): string {
  if (ast.kind !== Kind.STRING) throw new BadUserInputError(`${scalar} must be a string`);
  return ast.value;
}

function isDateString(value: string): boolean {
  const match = DATE.exec(value);
  return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

function parseDate(value: unknown): string {
  if (typeof value !== "string" || !isDateString(value)) {
    throw new BadUserInputError(`Date must be a real calendar date YYYY-MM-DD`);
  }
  return value;
}

function parseMonth(value: unknown): string {
  if (typeof value !== "string" || !MONTH.test(value)) {
    throw new BadUserInputError(`Month must be YYYY-MM`);
  }
  return value;
}

function parseMoney(value: unknown): string {
  if (!isMoney(value)) {
    throw new BadUserInputError(`Money must be a decimal string with two decimals such as "86400.00"`);
  }
  return value;
}

function parseCreditCode(value: unknown): string {
  if (typeof value !== "string" || !isCreditCode(value)) {
    throw new BadUserInputError(`CreditCode must be a GB 32100 unified social credit code`);
  }
  return value;
}

export const DateScalar = new GraphQLScalarType({
  name: "Date",
  serialize(value) {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    return parseDate(value);
  },
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(stringLiteral(ast, "Date")),
});

export const MonthScalar = new GraphQLScalarType({
  name: "Month",
  serialize: parseMonth,
  parseValue: parseMonth,
  parseLiteral: (ast) => parseMonth(stringLiteral(ast, "Month")),
});

export const MoneyScalar = new GraphQLScalarType({
  name: "Money",
  serialize: (value) => decimalToMoney(value as string),
  parseValue: parseMoney,
  parseLiteral: (ast) => parseMoney(stringLiteral(ast, "Money")),
});

export const CreditCodeScalar = new GraphQLScalarType({
  name: "CreditCode",
  serialize: parseCreditCode,
  parseValue: parseCreditCode,
  parseLiteral: (ast) => parseCreditCode(stringLiteral(ast, "CreditCode")),
});

/** Resolver map entries for every standard scalar. */
export const scalarResolvers = {
  Date: DateScalar,
  Month: MonthScalar,
  Money: MoneyScalar,
  CreditCode: CreditCodeScalar,
};
