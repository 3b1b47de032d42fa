/** The development sign-in's citizens (the demo seed); production signs in through the real identity provider. */
export const DEMO_CITIZENS = [
  { id: "140105198605150031", name: "李伟" },
  { id: "140105198803120028", name: "王芳" },
  { id: "330106197501050017", name: "张敏" },
  { id: "330106197708120043", name: "陈静" },
  { id: "14010519650909005X", name: "赵磊" },
] as const;

export function demoCitizen(id: unknown): (typeof DEMO_CITIZENS)[number] | undefined {
  return DEMO_CITIZENS.find((citizen) => citizen.id === id);
}
