import { z } from 'zod';
import { QraftConfigSchema } from './config';
import { StrategySchema } from '../backtest/strategy/schema';

/** JSON Schemas (draft-07, what VS Code's JSON language service reads) for the files users edit. */
export function generatedSchemas(): Record<string, unknown> {
  const toJson = (schema: z.ZodType, title: string, description: string) => ({
    ...z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }),
    title,
    description,
  });
  return {
    'strategy.schema.json': toJson(StrategySchema, 'Qraft strategy', 'A trading strategy for Qraft Release: universe, signal, sizing, costs, execution and parameter grid.'),
    'qraft.config.schema.json': toJson(QraftConfigSchema, 'Qraft configuration', 'Precheck gate thresholds, canary limits and the approval policy.'),
  };
}
