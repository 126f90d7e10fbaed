export { ModelRouter, loadModelConfig } from './model-router.js';
export const logger = { child: () => ({ info() {}, warn() {}, error() {} }) };
