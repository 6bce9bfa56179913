import { engineSuite } from './engine-suite';

engineSuite('mysql');
