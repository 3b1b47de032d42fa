import { readFileSync } from "node:fs";
import { Supergraph, operationFromDocument } from "@apollo/federation-internals";
import { QueryPlanner, prettyFormatQueryPlan } from "@apollo/query-planner";
import { parse } from "graphql";
import { prepareSupergraphForGateway } from "/work/wt/executor/gateway/supergraph/prepareSupergraphForGateway.ts";
const sdl = prepareSupergraphForGateway(readFileSync("/work/wt/executor/schema/supergraph.graphql", "utf8"));
const sg = Supergraph.build(sdl);
const qp = new QueryPlanner(sg);
for (const q of process.argv.slice(2)) {
  const op = operationFromDocument(sg.apiSchema(), parse(q));
  const plan = qp.buildQueryPlan(op);
  console.log(prettyFormatQueryPlan(plan));
}
