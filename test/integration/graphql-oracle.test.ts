import { engineSuite } from './engine-suite';

engineSuite('oracle');
