export * from "./points";
export * from "./rect";
export * from "./view";
