import { engineSuite } from './engine-suite';

engineSuite('postgres', { schemas: ['public', 'inventory'] });
