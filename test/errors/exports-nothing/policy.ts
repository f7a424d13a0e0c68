export const registries = ["registry.example.com/"];
