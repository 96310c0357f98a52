// JSON schemas of the inference plane's requests and responses, and the pieces every route file
// shares. Structure is checked here; element values are checked by the protocol codec.

/** A model, version, alias or endpoint name: no path characters, at most 63. */
export const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' } as const;
/** The OIP error body, for every 4xx and 5xx answer. */
export const ERROR = { type: 'object', properties: { error: { type: 'string' } } } as const;
export const FAILURES = { '4xx': ERROR, '5xx': ERROR } as const;

export const modelParams = {
  type: 'object',
  required: ['model'],
  properties: { model: NAME, version: NAME },
} as const;

const parameters = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } } as const;
const error = ERROR;
const tensorMeta = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    datatype: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer' } },
  },
} as const;

export const inferBody = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters,
    inputs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype', 'data'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
          datatype: { type: 'string' },
          parameters,
          data: { type: 'array' },
        },
      },
    },
    outputs: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, parameters } },
    },
  },
} as const;

export const inferResponse = {
  200: {
    type: 'object',
    properties: {
      model_name: { type: 'string' },
      model_version: { type: 'string' },
      id: { type: 'string' },
      parameters,
      outputs: {
        type: 'array',
        items: {
          type: 'object',
          properties: { ...tensorMeta.properties, parameters, data: { type: 'array' } },
        },
      },
    },
  },
  '4xx': error,
  '5xx': error,
} as const;

export const modelMetadataResponse = {
  200: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      versions: { type: 'array', items: { type: 'string' } },
      version: { type: 'string' },
      platform: { type: 'string' },
      inputs: { type: 'array', items: tensorMeta },
      outputs: { type: 'array', items: tensorMeta },
    },
  },
  '4xx': error,
} as const;

export const readyResponse = {
  200: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, ready: { type: 'boolean' } } },
  '4xx': error,
  '5xx': error,
} as const;

export const healthResponse = {
  200: { type: 'object', properties: { live: { type: 'boolean' }, ready: { type: 'boolean' } } },
  503: { type: 'object', properties: { ready: { type: 'boolean' }, error: { type: 'string' } } },
} as const;

export const serverMetadataResponse = {
  200: {
    type: 'object',
    properties: { name: { type: 'string' }, version: { type: 'string' }, extensions: { type: 'array', items: { type: 'string' } } },
  },
  '4xx': error,
} as const;

const predictItem = {
  type: 'object',
  properties: { text: { type: 'string' }, inputs: { type: 'object' } },
} as const;

export const predictBody = {
  type: 'object',
  properties: {
    ...predictItem.properties,
    instances: { type: 'array', minItems: 1, items: predictItem },
  },
} as const;

const prediction = {
  type: 'object',
  properties: {
    prediction: { type: 'string' },
    confidence: { type: 'number' },
    probabilities: { type: 'object', additionalProperties: { type: 'number' } },
  },
} as const;

export const predictResponse = {
  200: {
    type: 'object',
    properties: {
      model: { type: 'string' },
      version: { type: 'string' },
      requestId: { type: 'string' },
      flags: { type: 'array', items: { type: 'string' } },
      ...prediction.properties,
      predictions: { type: 'array', items: prediction },
    },
  },
  '4xx': error,
  '5xx': error,
} as const;
