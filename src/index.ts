import { buildApp } from "./protocol/app";

export { LicenseObject } from "./license/object";

export default buildApp();
